"""Online energy monitoring (能耗在线监测): meters, readings, rollups with tce and CO₂."""

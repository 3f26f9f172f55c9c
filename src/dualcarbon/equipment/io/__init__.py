"""Files of the equipment subject: reading import sheets, writing the 设备对标 workbook."""

"""Equipment register with benchmarking (GB 18613 motors …), the obsolete-equipment list (淘汰目录), the
technology catalogue (节能技术推荐目录) and regional waste-heat matching (余热匹配). See docs/equipment.md."""

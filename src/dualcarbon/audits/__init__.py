"""Energy audits (GB/T 17166) and energy-saving diagnoses (节能诊断) filed by service agencies, with the
regulator's acceptance (验收)."""

"""智能分析 — Chinese text routing, duplicates, hot issues, forecasting, risk grading."""

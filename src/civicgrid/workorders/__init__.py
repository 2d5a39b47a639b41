"""工单 — the closed loop of work orders: report, triage, handle, feedback, assess."""

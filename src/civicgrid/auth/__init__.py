"""账号与权限 — accounts, roles × hierarchy scopes, and the one place permissions are enforced."""

"""Who may see and do what: people (dashboard users, argon2 passwords) and machines (API bearer tokens), each
scoped to one account or to the whole hub."""

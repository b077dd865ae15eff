"""SimBox inventory: the application side of `simbox` — scanned SIMs and received SMS in the database."""

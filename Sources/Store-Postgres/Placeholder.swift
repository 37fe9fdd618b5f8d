// The PostgreSQL store (issue 4) lands here.

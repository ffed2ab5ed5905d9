package storetest

import "testing"

func TestSQLite(t *testing.T) { Run(t, SQLiteURL) }

func TestPostgres(t *testing.T) { Run(t, PostgresURL) }

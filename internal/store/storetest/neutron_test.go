package storetest

import "testing"

func TestNeutronSQLite(t *testing.T) { RunNeutron(t, SQLiteURL) }

func TestNeutronPostgres(t *testing.T) { RunNeutron(t, PostgresURL) }

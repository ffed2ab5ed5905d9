package storetest

import "testing"

func TestIdentitySQLite(t *testing.T) { RunIdentity(t, SQLiteURL) }

func TestIdentityPostgres(t *testing.T) { RunIdentity(t, PostgresURL) }

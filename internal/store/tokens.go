package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"vfnet/internal/model"
)

// Roles a token can carry.
const (
	RoleAdmin  = "admin"
	RoleMember = "member"
	RoleReader = "reader"
	// RoleAgent may register and report for the one host named in the
	// token, and nothing else.
	RoleAgent = "agent"
	// RoleService is an external compute service's: it binds ports.
	RoleService = "service"
)

// Token is an API credential as the store keeps it: the secret itself is
// never stored, only its SHA-256.
type Token struct {
	ID      string   `json:"id"`
	Project string   `json:"project"`
	Roles   []string `json:"roles"`
	Host    string   `json:"host,omitempty"` // agent tokens: the host's name
	// User is the id of the user a token was issued to by password or
	// token (Keystone's POST /v3/auth/tokens); "" for tokens made with
	// `vfnet token create` and the bootstrap admin token.
	User string `json:"user,omitempty"`
	// Methods are the Keystone auth methods the token was issued by.
	Methods   []string   `json:"methods,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

// HasRole reports whether the token carries role.
func (t Token) HasRole(role string) bool { return slices.Contains(t.Roles, role) }

// TokenSpec is what a new token carries.
type TokenSpec struct {
	Project string
	Roles   []string
	Host    string
	// User and Methods: see Token.
	User    string
	Methods []string
	// TTL is the token's lifetime from its creation; 0 never expires.
	TTL time.Duration
}

// NewTokenSecret returns a fresh random token: 32 bytes, URL-safe base64.
func NewTokenSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics rather than return short)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func (spec TokenSpec) validate() error {
	if strings.TrimSpace(spec.Project) == "" {
		return invalid("token", "A token needs a project (--project)")
	}
	if len(spec.Roles) == 0 {
		return invalid("token", "A token needs a role: one of admin, member, reader, service, agent (--role)")
	}
	for _, r := range spec.Roles {
		switch r {
		case RoleAdmin, RoleMember, RoleReader, RoleService:
		case RoleAgent:
			if spec.Host == "" {
				return invalid("token", "An agent token is bound to one host: give its name (--host)")
			}
		default:
			return invalid("token", "Unknown role %q: use admin, member, reader, service or agent", r)
		}
	}
	if spec.Host != "" && !slices.Contains(spec.Roles, RoleAgent) {
		return invalid("token", "Only an agent token is bound to a host: drop --host or use --role agent")
	}
	return nil
}

// CreateToken stores a token whose secret is secret (see NewTokenSecret).
func (s *Store) CreateToken(ctx context.Context, secret string, spec TokenSpec) (Token, error) {
	if err := spec.validate(); err != nil {
		return Token{}, err
	}
	if len(secret) < 16 {
		return Token{}, invalid("token", "A token secret must be at least 16 characters long")
	}
	if spec.TTL < 0 {
		return Token{}, invalid("token", "A token's lifetime must be positive, or 0 for a token that never expires")
	}
	var tok Token
	err := s.write(ctx, func(t *tx) error {
		var err error
		tok, err = insertToken(ctx, t, secret, spec)
		return err
	})
	return tok, err
}

// insertToken stores a token in t: CreateToken's and IssueUserToken's.
func insertToken(ctx context.Context, t *tx, secret string, spec TokenSpec) (Token, error) {
	tok := Token{ID: uuid.NewString(), Project: spec.Project, Roles: spec.Roles, Host: spec.Host,
		User: spec.User, Methods: spec.Methods, CreatedAt: t.now}
	var exp sql.NullInt64
	if spec.TTL > 0 {
		e := t.now.Add(spec.TTL)
		tok.ExpiresAt = &e
		exp = sql.NullInt64{Int64: nanos(e), Valid: true}
	}
	_, err := t.exec(ctx, `INSERT INTO tokens (id, hash, project, roles, host, user_id, methods, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tok.ID, hashToken(secret), spec.Project, strings.Join(spec.Roles, ","), spec.Host, spec.User,
		strings.Join(spec.Methods, ","), exp, nanos(t.now))
	if isUnique(err) {
		return Token{}, conflict("token", "This token secret is already in use: choose another")
	}
	if err != nil {
		return Token{}, fmt.Errorf("create token: %w", err)
	}
	return tok, nil
}

// RevokeToken deletes the token whose secret is secret (Keystone's DELETE
// /v3/auth/tokens): it stops working at once. An unknown token is a
// model.ErrNotFound error.
func (s *Store) RevokeToken(ctx context.Context, secret string) error {
	return s.write(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `DELETE FROM tokens WHERE hash = ?`, hashToken(secret))
		if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("revoke token: %w", err)
		} else if n == 0 {
			return notFound("token", "The token is not valid")
		}
		return nil
	})
}

// qAuthenticate runs on every API request.
const qAuthenticate = `SELECT id, project, roles, host, user_id, methods, expires_at, created_at FROM tokens WHERE hash = ?`

// Authenticate returns the token whose secret is secret. An unknown or
// expired token is a model.ErrNotFound error.
func (s *Store) Authenticate(ctx context.Context, secret string) (Token, error) {
	var tok Token
	err := s.read(ctx, func(t *tx) error {
		var roles, methods string
		var exp sql.NullInt64
		var created int64
		err := t.queryRow(ctx, qAuthenticate, hashToken(secret)).Scan(&tok.ID, &tok.Project, &roles, &tok.Host, &tok.User, &methods, &exp, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return &model.Error{Code: model.ErrNotFound, Object: "token", Msg: "The token is not valid"}
		}
		if err != nil {
			return fmt.Errorf("authenticate: %w", err)
		}
		tok.Roles = strings.Split(roles, ",")
		tok.Methods = splitList(methods)
		tok.ExpiresAt = fromNullNanos(exp)
		tok.CreatedAt = fromNanos(created)
		if tok.ExpiresAt != nil && !t.now.Before(*tok.ExpiresAt) {
			return &model.Error{Code: model.ErrNotFound, Object: "token " + tok.ID, Msg: "The token has expired"}
		}
		return nil
	})
	return tok, err
}

// Tokens returns every token, oldest first; secrets are not stored, so none
// is returned.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	var out []Token
	err := s.read(ctx, func(t *tx) error {
		rows, err := t.query(ctx, `SELECT id, project, roles, host, user_id, methods, expires_at, created_at FROM tokens ORDER BY created_at, id`)
		if err != nil {
			return fmt.Errorf("list tokens: %w", err)
		}
		for rows.Next() {
			var tok Token
			var roles, methods string
			var exp sql.NullInt64
			var created int64
			if err := rows.Scan(&tok.ID, &tok.Project, &roles, &tok.Host, &tok.User, &methods, &exp, &created); err != nil {
				rows.Close()
				return fmt.Errorf("list tokens: %w", err)
			}
			tok.Roles, tok.ExpiresAt, tok.CreatedAt = strings.Split(roles, ","), fromNullNanos(exp), fromNanos(created)
			tok.Methods = splitList(methods)
			out = append(out, tok)
		}
		return closeRows(rows)
	})
	return out, err
}

// splitList splits a comma-separated column; "" is no element.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

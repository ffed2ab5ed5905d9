package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"vfnet/internal/api"
	"vfnet/internal/api/keystoneapi"
	"vfnet/internal/api/neutronapi"
	"vfnet/internal/keystone"
	"vfnet/internal/metrics"
	"vfnet/internal/model"
	"vfnet/internal/store"
)

// ServerConfig is what a control plane needs to start.
type ServerConfig struct {
	// Listen is the TCP address to serve on; port 0 picks a free one.
	Listen string
	// DB is the store: a postgres:// URL or a SQLite path; "" is
	// DataDir/vfnet.db.
	DB string
	// DataDir holds the SQLite store by default and the admin-token file.
	DataDir string
	// BootstrapToken, when set, is the admin token; otherwise the one in
	// DataDir/admin-token, made on first start.
	BootstrapToken string
	// BootstrapPassword, when set, is the password of the identity's admin
	// user (set again if it differs); otherwise the one in
	// DataDir/admin-password, made with the user on first start.
	BootstrapPassword string
	// Identity configures the Keystone v3-compatible identity at /identity.
	Identity IdentityConfig
	// Keystone, when its URL is set, is an external Keystone that /v2.0
	// validates tokens at; vfnet's own identity is then off.
	Keystone keystone.Config
	Logger   *slog.Logger
	// NoMetrics turns off GET /metrics (Prometheus, unauthenticated, on
	// the API's listener: docs/control-plane.md).
	NoMetrics bool
	// Now is the store's clock; nil is time.Now.
	Now func() time.Time
}

// Server is one running control plane: store, API and HTTP listener. Tests
// and `vfnet dev` start it in process.
type Server struct {
	Store *store.Store
	// URL is where it serves: http://127.0.0.1:PORT.
	URL string
	// AdminToken is the bootstrap admin token.
	AdminToken string
	// AdminPassword is the identity's admin password; "" when this server
	// did not make it and was not given it (another server on the same
	// database made it).
	AdminPassword string

	dataDir string
	ln      net.Listener
	http    *http.Server
	log     *slog.Logger
}

// StartServer opens the store (applying migrations), makes sure the admin
// token exists and starts listening; Run serves.
func StartServer(ctx context.Context, cfg ServerConfig) (*Server, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.DataDir == "" {
		return nil, errors.New("server: a data directory is needed (--data)")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("server: data directory: %w", err)
	}
	dsn := cfg.DB
	if dsn == "" {
		dsn = filepath.Join(cfg.DataDir, "vfnet.db")
	}
	st, err := store.Open(ctx, dsn, store.Options{Now: cfg.Now, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	token, err := bootstrapToken(ctx, st, cfg)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("server: %w", err)
	}
	// Keystone v3 under /identity (/ is Neutron's version list), or, with
	// an external Keystone, a pointer to it.
	var identity http.Handler
	var neutronStore neutronapi.Store = st
	var password string
	if cfg.Keystone.URL != "" {
		kcfg := cfg.Keystone
		kcfg.Log, kcfg.Now = log, cfg.Now
		v, err := keystone.New(kcfg)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("server: %w", err)
		}
		neutronStore = keystoneStore{Store: st, keystone: v}
		identity = keystoneapi.Disabled(v.URL())
	} else {
		if password, err = bootstrapIdentity(ctx, st, cfg); err != nil {
			st.Close()
			return nil, fmt.Errorf("server: %w", err)
		}
		identity = keystoneapi.New(keystoneapi.Options{Store: st, Log: log, Prefix: IdentityPrefix,
			PublicURL: cfg.Identity.PublicURL, Region: cfg.Identity.Region, TokenTTL: cfg.Identity.TokenTTL, Now: cfg.Now})
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("server: %w", err)
	}
	mux := http.NewServeMux()
	v1 := api.New(st, log)
	// With an external Keystone, its tokens work on /v1 as on /v2.0.
	v1.SetAuthenticator(neutronStore)
	m := metrics.NewServer(st, v1.LongPolls, log)
	v1.SetMetrics(m)
	mux.Handle("/v1/", v1)
	// The Neutron-compatible API: version discovery at / and /v2.0.
	// Its binding step is the store's claim path (BindNeutronPort).
	mux.Handle("/", neutronapi.New(neutronapi.Options{Store: neutronStore, Log: log, Bind: m.Bind(st.BindNeutronPort)}))
	mux.Handle(IdentityPrefix, identity)
	mux.Handle(IdentityPrefix+"/", identity)
	// /metrics beside the APIs, not counted among their requests.
	root := http.NewServeMux()
	// Each API answers its own handlers' panics in its own error format.
	root.Handle("/", m.Instrument(mux))
	if !cfg.NoMetrics {
		root.Handle("GET /metrics", m.Handler())
	}
	s := &Server{
		Store: st, URL: "http://" + ln.Addr().String(), AdminToken: token, AdminPassword: password,
		dataDir: cfg.DataDir, ln: ln, log: log,
		http: &http.Server{Handler: root,
			// A slow or stalled client holds a connection for a bounded
			// time: headers, the whole request, the answer (a long-poll's
			// wait and then some) and between requests.
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       time.Minute,
			WriteTimeout:      api.MaxWait + time.Minute,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn)},
	}
	// Shutdown waits for requests to finish: the agents' long-polls end
	// at once rather than when their wait does.
	s.http.RegisterOnShutdown(v1.Shutdown)
	log.Info("server listening", "url", s.URL, "store", st.Dialect())
	return s, nil
}

// bootstrapToken makes sure the admin token exists in the store: the one
// given, or the one in the data directory, or a new one written there.
func bootstrapToken(ctx context.Context, st *store.Store, cfg ServerConfig) (string, error) {
	file := filepath.Join(cfg.DataDir, "admin-token")
	secret := cfg.BootstrapToken
	if secret == "" {
		b, err := os.ReadFile(file)
		switch {
		case err == nil:
			secret = strings.TrimSpace(string(b))
		case errors.Is(err, os.ErrNotExist):
			secret = store.NewTokenSecret()
			if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
				return "", fmt.Errorf("write admin token: %w", err)
			}
		default:
			return "", fmt.Errorf("read admin token: %w", err)
		}
	}
	if _, err := st.Authenticate(ctx, secret); err == nil {
		return secret, nil
	} else if model.CodeOf(err) != model.ErrNotFound {
		return "", err
	}
	_, err := st.CreateToken(ctx, secret, store.TokenSpec{Project: "admin", Roles: []string{store.RoleAdmin}})
	if model.CodeOf(err) == model.ErrConflict {
		// Another server on the same database stored it first.
		return secret, nil
	}
	if err != nil {
		return "", fmt.Errorf("store admin token: %w", err)
	}
	return secret, nil
}

// IdentityPrefix is where the server mounts its identity API: a
// clouds.yaml's auth_url is URL + IdentityPrefix + "/v3".
const IdentityPrefix = "/identity"

// IdentityConfig configures the server's own identity.
type IdentityConfig struct {
	// PublicURL is the server's root URL as clients reach it, for the
	// catalog; "" takes each request's Host.
	PublicURL string
	// Region of the catalog's endpoints; "" is RegionOne.
	Region string
	// TokenTTL is the lifetime of tokens issued by password; 0 is
	// keystoneapi.DefaultTokenTTL.
	TokenTTL time.Duration
}

// AdminUser and AdminProject are the identity's bootstrap admin user and
// project (the project's id is "admin" too, the project of the bootstrap
// admin token).
const (
	AdminUser    = "admin"
	AdminProject = "admin"
)

// bootstrapIdentity makes sure the admin project and the admin user with
// the admin role on it exist, and returns the admin password: the one
// given, or the one in the data directory, or a new one written there when
// the user is made. With neither and an admin user made by another server
// on the same database, it returns "".
func bootstrapIdentity(ctx context.Context, st *store.Store, cfg ServerConfig) (string, error) {
	file := filepath.Join(cfg.DataDir, "admin-password")
	password := cfg.BootstrapPassword
	if password == "" {
		b, err := os.ReadFile(file)
		switch {
		case err == nil:
			password = strings.TrimSpace(string(b))
		case !errors.Is(err, os.ErrNotExist):
			return "", fmt.Errorf("read admin password: %w", err)
		}
	}
	if _, err := st.CreateProject(ctx, store.ProjectSpec{ID: AdminProject, Name: AdminProject,
		Description: "Bootstrap project for initializing the cloud.", Enabled: true}); err != nil && model.CodeOf(err) != model.ErrConflict {
		return "", fmt.Errorf("bootstrap admin project: %w", err)
	}
	_, err := st.User(ctx, AdminUser)
	switch {
	case err == nil:
		// Set it again only when it was given and differs, as
		// keystone-manage bootstrap does: setting it revokes the user's
		// tokens.
		if cfg.BootstrapPassword != "" {
			if _, err := st.CheckPassword(ctx, AdminUser, password); err != nil {
				if err := st.SetPassword(ctx, AdminUser, password); err != nil {
					return "", fmt.Errorf("bootstrap admin password: %w", err)
				}
			}
		}
	case model.CodeOf(err) == model.ErrNotFound:
		if password == "" {
			password = store.NewTokenSecret()
			if err := os.WriteFile(file, []byte(password+"\n"), 0o600); err != nil {
				return "", fmt.Errorf("write admin password: %w", err)
			}
		}
		_, err := st.CreateUser(ctx, store.UserSpec{Name: AdminUser, Password: password, DefaultProject: AdminProject, Enabled: true})
		if model.CodeOf(err) == model.ErrConflict {
			// Another server on the same database made it first.
			break
		}
		if err != nil {
			return "", fmt.Errorf("bootstrap admin user: %w", err)
		}
	default:
		return "", fmt.Errorf("bootstrap admin user: %w", err)
	}
	if err := st.AssignRole(ctx, AdminUser, AdminProject, store.RoleAdmin); err != nil {
		return "", fmt.Errorf("bootstrap admin role: %w", err)
	}
	return password, nil
}

// Run serves until ctx ends, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.http.Shutdown(shutdown); err != nil {
		// Requests still running after the grace period are cut, so that
		// none is left using the store Close is about to close.
		s.http.Close()
		<-errc
		return fmt.Errorf("server: shutdown: requests still running after 10s were cut: %w", err)
	}
	<-errc // http.ErrServerClosed
	return nil
}

// Close closes the listener (if Run never ran) and the store.
func (s *Server) Close() error {
	s.ln.Close()
	return s.Store.Close()
}

func newServerCmd() *cobra.Command {
	var cfg ServerConfig
	var debug bool
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the control plane: the REST API over the store",
		Long: `Run the control plane: the /v1 REST API over the store.

The store is SQLite in DATA/vfnet.db unless --db names a postgres:// URL;
several servers may share one PostgreSQL database. The admin token is
$VFNET_BOOTSTRAP_TOKEN, or the one in DATA/admin-token (made on first start).

The server is also a Keystone v3-compatible identity at /identity: the
auth_url of a clouds.yaml is http://HOST:PORT/identity/v3, user admin in
project admin (domain Default), whose password is $VFNET_BOOTSTRAP_PASSWORD,
or the one in DATA/admin-password (made on first start).

Inside a cloud that runs Keystone, --keystone-url (with vfnet's service
credentials) makes /v2.0 validate tokens there, cached for --keystone-cache;
the identity at /identity is then off (docs/identity.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			level := slog.LevelInfo
			if debug {
				level = slog.LevelDebug
			}
			cfg.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			cfg.BootstrapToken = os.Getenv("VFNET_BOOTSTRAP_TOKEN")
			cfg.BootstrapPassword = os.Getenv("VFNET_BOOTSTRAP_PASSWORD")
			if cfg.Keystone.Password == "" {
				cfg.Keystone.Password = os.Getenv("VFNET_KEYSTONE_PASSWORD")
			}
			s, err := StartServer(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer s.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "vfnet server on %s (admin token in %s)\n", s.URL, adminTokenWhere(cfg))
			return s.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&cfg.Listen, "listen", "127.0.0.1:6385", "address to serve the API on")
	cmd.Flags().StringVar(&cfg.DB, "db", "", "store: postgres://... or a SQLite file (default DATA/vfnet.db)")
	cmd.Flags().StringVar(&cfg.DataDir, "data", "/var/lib/vfnet", "data directory: the SQLite store and admin-token")
	cmd.Flags().BoolVar(&debug, "debug", false, "log every request")
	cmd.Flags().BoolVar(&cfg.NoMetrics, "no-metrics", false, "do not serve Prometheus metrics at GET /metrics (unauthenticated)")
	cmd.Flags().StringVar(&cfg.Identity.PublicURL, "public-url", "", "the server's URL as clients reach it, for the identity's catalog (default: the Host of each request)")
	cmd.Flags().StringVar(&cfg.Identity.Region, "region", "RegionOne", "region of the catalog's endpoints")
	cmd.Flags().DurationVar(&cfg.Identity.TokenTTL, "token-ttl", keystoneapi.DefaultTokenTTL, "lifetime of tokens issued by password")
	addKeystoneFlags(cmd, &cfg.Keystone)
	return cmd
}

func adminTokenWhere(cfg ServerConfig) string {
	if cfg.BootstrapToken != "" {
		return "$VFNET_BOOTSTRAP_TOKEN"
	}
	return filepath.Join(cfg.DataDir, "admin-token")
}

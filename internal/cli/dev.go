package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"vfnet/internal/agent"
	"vfnet/internal/model"
	"vfnet/internal/pciids"
	"vfnet/internal/sim"
	"vfnet/internal/store"
)

// DevConfig is `vfnet dev`: a server on SQLite in DataDir plus Hosts
// simulated compute hosts, each with its agent, in one process.
type DevConfig struct {
	Listen  string
	Hosts   int
	DataDir string
	Logger  *slog.Logger
	// OnPass, when set, sees every pass of every agent.
	OnPass func(host string, r agent.Report, err error)
}

// Dev is a running development cloud.
type Dev struct {
	*Server
	// HostDirs are the simulated hosts' directories, by host name.
	HostDirs map[string]string
	cfg      DevConfig
	tokens   map[string]string
}

// devNICs are the simulated hosts' cards: several models over two NUMA
// nodes, alternating so that two hosts differ.
var devNICs = [][]string{
	{"x710:2@numa0", "cx5:2@numa1"},
	{"e810:2@numa0", "x710:1@numa1"},
}

// DefaultDevDir is where `vfnet dev` keeps its state without --data:
// outside any source tree, so that a clone stays clean and a second run
// finds its hosts and configuration again.
func DefaultDevDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "vfnet-dev")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "vfnet-dev")
	}
	return "vfnet-dev"
}

// StartDev starts the server, creates the simulated hosts that DataDir does
// not have yet (an existing one keeps its state) and their agent tokens;
// Run runs the agents and serves.
func StartDev(ctx context.Context, cfg DevConfig) (*Dev, error) {
	if cfg.Hosts < 0 || cfg.Hosts > 64 {
		return nil, fmt.Errorf("dev: --hosts %d: give 0 to 64 simulated hosts", cfg.Hosts)
	}
	srv, err := StartServer(ctx, ServerConfig{Listen: cfg.Listen, DataDir: cfg.DataDir, Logger: cfg.Logger,
		BootstrapPassword: os.Getenv("VFNET_BOOTSTRAP_PASSWORD")})
	if err != nil {
		return nil, fmt.Errorf("dev: %w", err)
	}
	d := &Dev{Server: srv, HostDirs: map[string]string{}, cfg: cfg, tokens: map[string]string{}}
	for i := range cfg.Hosts {
		name := fmt.Sprintf("compute-%d", i)
		dir := filepath.Join(cfg.DataDir, "hosts", name)
		if err := devHost(dir, name, devNICs[i%len(devNICs)]); err != nil {
			srv.Close()
			return nil, err
		}
		tok, err := devAgentToken(ctx, srv.Store, dir, name)
		if err != nil {
			srv.Close()
			return nil, err
		}
		d.HostDirs[name], d.tokens[name] = dir, tok
	}
	if err := writeCloudsYAML(filepath.Join(cfg.DataDir, "clouds.yaml"), srv.URL, srv.AdminPassword); err != nil {
		srv.Close()
		return nil, err
	}
	return d, nil
}

// devHost creates the simulated host name in dir unless it is there.
func devHost(dir, name string, nics []string) error {
	if _, err := sim.Open(dir); err == nil {
		return nil
	}
	spec := sim.HostSpec{Hostname: name, NUMANodes: 2}
	for _, s := range nics {
		n, err := sim.ParseNIC(s)
		if err != nil {
			return fmt.Errorf("dev: %w", err)
		}
		spec.NICs = append(spec.NICs, n)
	}
	if err := sim.Create(dir, spec); err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	return nil
}

// devAgentToken returns the agent token of host name kept in dir, made on
// first start: each agent reports with a token good for its host only, as
// on a real deployment.
func devAgentToken(ctx context.Context, st *store.Store, dir, name string) (string, error) {
	file := filepath.Join(dir, "agent-token")
	if b, err := os.ReadFile(file); err == nil {
		secret := strings.TrimSpace(string(b))
		if _, err := st.Authenticate(ctx, secret); err == nil {
			return secret, nil
		} else if model.CodeOf(err) != model.ErrNotFound {
			return "", fmt.Errorf("dev: agent token of %s: %w", name, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("dev: agent token of %s: %w", name, err)
	}
	secret := store.NewTokenSecret()
	if _, err := st.CreateToken(ctx, secret, store.TokenSpec{Project: "admin", Roles: []string{store.RoleAgent}, Host: name}); err != nil {
		return "", fmt.Errorf("dev: agent token of %s: %w", name, err)
	}
	if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("dev: agent token of %s: %w", name, err)
	}
	return secret, nil
}

// writeCloudsYAML writes the openstack CLI's configuration of this cloud
// (`openstack --os-cloud vfnet ...` with OS_CLIENT_CONFIG_FILE pointing at
// it): the admin user's password login at the server's own identity.
func writeCloudsYAML(path, url, password string) error {
	if password == "" {
		return fmt.Errorf("dev: the admin password is unknown (%s is missing): set VFNET_BOOTSTRAP_PASSWORD, or remove the data directory to start over", filepath.Join(filepath.Dir(path), "admin-password"))
	}
	y := fmt.Sprintf(`clouds:
  vfnet:
    auth_type: password
    auth:
      auth_url: %s%s/v3
      username: %s
      password: %q
      project_name: %s
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    identity_api_version: 3
`, url, IdentityPrefix, AdminUser, password, AdminProject)
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		return fmt.Errorf("dev: write %s: %w", path, err)
	}
	return nil
}

// Run runs every host's agent (the same loop as `vfnet agent`, over HTTP on
// loopback) and serves until ctx ends.
func (d *Dev) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	log := d.cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Every host opens before any agent starts: a failure then leaves no
	// agent running on a store the caller is about to close.
	kernels := make(map[string]*sim.Kernel, len(d.HostDirs))
	for name, dir := range d.HostDirs {
		k, err := sim.Open(dir)
		if err != nil {
			return fmt.Errorf("dev: %w", err)
		}
		kernels[name] = k
	}
	var wg sync.WaitGroup
	for name, k := range kernels {
		var onPass func(agent.Report, error)
		if d.cfg.OnPass != nil {
			onPass = func(r agent.Report, err error) { d.cfg.OnPass(name, r, err) }
		}
		cfg := AgentConfig{Server: d.URL, Token: d.tokens[name], Host: name, Kernel: k,
			Names: pciids.Open(pciids.DefaultPath), Interval: agent.DefaultResync, Logger: log}
		wg.Go(func() { RunConverging(ctx, cfg, onPass) })
	}
	err := d.Server.Run(ctx)
	cancel()
	wg.Wait()
	return err
}

// PrintWelcome tells the user where the cloud is and what to try.
func (d *Dev) PrintWelcome(w io.Writer) error {
	dir := d.cfg.DataDir
	host := "compute-0"
	var b strings.Builder
	fmt.Fprintf(&b, "vfnet dev: server on %s with %d simulated hosts; state in %s\n\n", d.URL, len(d.HostDirs), dir)
	fmt.Fprintf(&b, "Admin token: %s (also in %s)\n", d.AdminToken, filepath.Join(dir, "admin-token"))
	fmt.Fprintf(&b, "openstack CLI: export OS_CLIENT_CONFIG_FILE=%s OS_CLOUD=vfnet\n\n", filepath.Join(dir, "clouds.yaml"))
	if len(d.HostDirs) == 0 {
		b.WriteString("Start with --hosts 2 to get simulated compute hosts.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, `Try, in another shell:
  export VFNET_URL=%s VFNET_TOKEN=$(cat %s)
  vfnet host-list
  vfnet host-port-list %[3]s
  vfnet host-if-modify %[3]s enp59s0f0 -n sriov0 -c pci-sriov -N 8 --vf-driver netdevice
  vfnet datanetwork-add physnet0 vlan --segment-range 100-199
  vfnet interface-datanetwork-assign %[3]s sriov0 physnet0
  vfnet host-unlock %[3]s   # new hosts start locked; retry until the agent has created the VFs
  vfnet sim show %[4]s
  vfnet event-list --host %[3]s

Press Ctrl-C to stop; run again with the same --data to continue where you left off.
`, d.URL, filepath.Join(dir, "admin-token"), host, d.HostDirs[host])
	_, err := io.WriteString(w, b.String())
	return err
}

func newDevCmd() *cobra.Command {
	var (
		cfg   DevConfig
		debug bool
	)
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a server and simulated SR-IOV hosts with their agents, in one process, to try vfnet",
		Long: `Run a development cloud: a server on an embedded SQLite store in DATA, and
N simulated compute hosts (compute-0 ... compute-N-1), each with SR-IOV NICs of
several models on two NUMA nodes and its own agent converging it over HTTP.

DATA keeps the store, the admin token (DATA/admin-token), the admin user's
password (DATA/admin-password), a clouds.yaml for the openstack CLI (password
login at the server's identity, http://ADDR/identity/v3) and the simulated hosts (DATA/hosts/compute-I): stop and start
vfnet dev on the same DATA and everything is where you left it. Remove DATA
to start over.`,
		Example: "  go run ./cmd/vfnet dev\n  vfnet dev --hosts 4 --data /tmp/vfnet-dev --listen 127.0.0.1:0",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			level := slog.LevelWarn
			if debug {
				level = slog.LevelDebug
			}
			cfg.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			if cfg.DataDir == "" {
				cfg.DataDir = DefaultDevDir()
			}
			d, err := StartDev(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer d.Close()
			if err := d.PrintWelcome(cmd.OutOrStdout()); err != nil {
				return err
			}
			return d.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Listen, "listen", "127.0.0.1:6385", "address to serve the API on (port 0: any free port)")
	f.IntVar(&cfg.Hosts, "hosts", 2, "number of simulated compute hosts")
	f.StringVar(&cfg.DataDir, "data", "", "state directory (default $XDG_DATA_HOME/vfnet-dev or ~/.local/share/vfnet-dev)")
	f.BoolVar(&debug, "debug", false, "log debug records (every request, every kernel write)")
	return cmd
}

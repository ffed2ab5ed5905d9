package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"vfnet/internal/kernel"
	"vfnet/internal/kernel/linux"
	"vfnet/internal/metrics"
	"vfnet/internal/pciids"
	"vfnet/internal/sim"
)

// AgentConfig is what a host's agent needs (RunConverging runs it).
type AgentConfig struct {
	Server string // the control plane's URL
	Token  string // an agent token for Host, or an admin token
	Host   string // the host's name
	Kernel kernel.Kernel
	Names  *pciids.DB
	// Interval is the longest time between two passes (drift is put back
	// within it).
	Interval time.Duration
	Logger   *slog.Logger
	HTTP     *http.Client
	// Metrics, when set, counts the loop's passes and retries.
	Metrics *metrics.Agent
}

func (cfg AgentConfig) check() error {
	if cfg.Server == "" || cfg.Token == "" || cfg.Host == "" || cfg.Kernel == nil {
		return errors.New("agent: a server URL (--server), a token (--token) and a host name (--host) are needed")
	}
	return nil
}

func newAgentCmd() *cobra.Command {
	var (
		cfg               AgentConfig
		sysfsRoot, simDir string
		pciIDs            string
		debug             bool
		metricsListen     string
	)
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run a host's agent: register the host, report its NICs, converge them to the desired state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			level := slog.LevelInfo
			if debug {
				level = slog.LevelDebug
			}
			cfg.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			if cfg.Server == "" {
				cfg.Server = os.Getenv("VFNET_URL")
			}
			if cfg.Token == "" {
				cfg.Token = os.Getenv("VFNET_TOKEN")
			}
			cfg.Names = pciids.Open(pciIDs)
			if cmd.Flags().Changed("sim") && cmd.Flags().Changed("sysfs") {
				return errors.New("agent: give --sim DIR or --sysfs ROOT, not both")
			}
			if simDir != "" {
				k, err := sim.Open(simDir)
				if err != nil {
					return err
				}
				if cfg.Host == "" {
					if cfg.Host, err = k.Hostname(ctx); err != nil {
						return err
					}
				}
				cfg.Kernel = k
			} else {
				k, err := linux.New(linux.Options{SysfsRoot: sysfsRoot, Logger: cfg.Logger})
				if err != nil {
					return err
				}
				defer k.Close()
				if cfg.Host == "" {
					if cfg.Host, err = os.Hostname(); err != nil {
						return fmt.Errorf("agent: host name: %w (give --host)", err)
					}
				}
				cfg.Kernel = k
			}
			if err := cfg.check(); err != nil {
				return err
			}
			if metricsListen != "" {
				cfg.Metrics = metrics.NewAgent()
				_, stop, err := serveMetrics(metricsListen, cfg.Metrics.Handler(), cfg.Logger)
				if err != nil {
					return err
				}
				defer stop()
			}
			// The agent converges its host (issue 5): converge.go.
			return RunConverging(ctx, cfg, nil)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Server, "server", "", "control plane URL (default $VFNET_URL)")
	f.StringVar(&cfg.Token, "token", "", "agent token for this host (default $VFNET_TOKEN)")
	f.StringVar(&cfg.Host, "host", "", "this host's name (default: the simulated host's, or the system host name)")
	f.StringVar(&sysfsRoot, "sysfs", "/sys", "sysfs root of the host")
	f.StringVar(&simDir, "sim", "", "a simulated host's directory (vfnet sim create) instead of the real kernel")
	f.StringVar(&pciIDs, "pci-ids", pciids.DefaultPath, "pci.ids file naming vendors and devices")
	f.DurationVar(&cfg.Interval, "interval", 10*time.Second, "longest time between two passes (observe, converge, report)")
	f.BoolVar(&debug, "debug", false, "log debug records")
	f.StringVar(&metricsListen, "metrics-listen", "", "serve Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9585); off when empty")
	return cmd
}

// serveMetrics serves h at url (GET http://ADDR/metrics) until stop is
// called.
func serveMetrics(addr string, h http.Handler, log *slog.Logger) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("agent: metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("agent: metrics server", "err", err)
		}
	}()
	url = "http://" + ln.Addr().String() + "/metrics"
	log.Info("agent: metrics", "url", url)
	return url, func() { srv.Close(); <-done }, nil
}

package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"vfnet/internal/kernel"
	"vfnet/internal/sim"
)

// newSimCmd is `vfnet sim`: simulated SR-IOV hosts for tests and trying
// vfnet without the hardware.
func newSimCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Create and show simulated SR-IOV hosts",
	}
	cmd.AddCommand(newSimCreateCmd(), newSimShowCmd())
	return cmd
}

func newSimCreateCmd() *cobra.Command {
	var (
		host string
		nics []string
		numa int
	)
	cmd := &cobra.Command{
		Use:   "create DIR",
		Short: "Lay out a simulated host (sysfs tree and state) in DIR",
		Long: "Lay out a simulated host in DIR. Each --nic is MODEL[:PORTS][@numaN]; models: " +
			fmt.Sprint(sim.ModelNames()) + ".",
		Example: "  vfnet sim create /tmp/h0 --host compute-0 --nic x710:2@numa0 --nic cx5:1@numa1 --numa 2",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec := sim.HostSpec{Hostname: host, NUMANodes: numa}
			for _, s := range nics {
				n, err := sim.ParseNIC(s)
				if err != nil {
					return err
				}
				if _, err := sim.LookupModel(n.Model); err != nil {
					return fmt.Errorf("--nic %s: %w", s, err)
				}
				spec.NICs = append(spec.NICs, n)
			}
			if err := sim.Create(args[0], spec); err != nil {
				return err
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "created simulated host %s in %s\n", host, args[0])
			return err
		},
	}
	cmd.Flags().StringVar(&host, "host", "compute-0", "hostname of the simulated host")
	cmd.Flags().StringArrayVar(&nics, "nic", nil, "a NIC: MODEL[:PORTS][@numaN] (repeatable)")
	cmd.Flags().IntVar(&numa, "numa", 1, "number of NUMA nodes")
	return cmd
}

func newSimShowCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "show DIR",
		Short: "Print a simulated host: PFs, VFs as ip link shows them, PCI addresses and drivers",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return fmt.Errorf("-o %q: want text or json", output)
			}
			k, err := sim.Open(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			h, err := k.Observe(ctx)
			if err != nil {
				return err
			}
			name, err := k.Hostname(ctx)
			if err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Hostname string `json:"hostname"`
					*kernel.Host
				}{name, h})
			}
			return sim.WriteText(cmd.OutOrStdout(), name, h)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

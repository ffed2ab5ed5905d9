package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/spf13/cobra"

	"vfnet/internal/inventory"
	"vfnet/internal/kernel"
	"vfnet/internal/pciids"
)

// hostSource yields the host an inventory reports on.
type hostSource func(ctx context.Context) (*kernel.Host, error)

type inventoryOptions struct {
	sysfsRoot string
	simDir    string
	pciIDs    string
	output    string
}

func newInventoryCmd() *cobra.Command {
	var o inventoryOptions
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "List this host's NIC ports, their SR-IOV VFs and NUMA nodes, as the agent reports them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(o.output); err != nil {
				return err
			}
			src, err := o.source()
			if err != nil {
				return err
			}
			return runInventory(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), src, pciids.Open(o.pciIDs), o.output)
		},
	}
	cmd.Flags().StringVar(&o.sysfsRoot, "sysfs", "/sys", "sysfs root to read (a snapshot of another machine's /sys works too)")
	cmd.Flags().StringVar(&o.simDir, "sim", "", "simulated host directory (from vfnet sim create) to read instead of sysfs")
	cmd.Flags().StringVar(&o.pciIDs, "pci-ids", pciids.DefaultPath, "pci.ids file naming vendors and devices")
	cmd.Flags().StringVarP(&o.output, "output", "o", outputTable, "output format: table or json")
	return cmd
}

// source picks where the host comes from: the kernel the agent would use
// (sysfs plus each PF's VF settings over rtnetlink, or the simulated host), so
// that inventory shows exactly what the agent reports.
func (o *inventoryOptions) source() (hostSource, error) {
	return func(ctx context.Context) (*kernel.Host, error) {
		k, closeKernel, err := openKernel(o.simDir, o.sysfsRoot, slog.New(slog.DiscardHandler))
		if err != nil {
			return nil, err
		}
		defer closeKernel()
		h, err := k.Observe(ctx)
		if err != nil {
			where := o.sysfsRoot
			if o.simDir != "" {
				where = o.simDir
			}
			return nil, fmt.Errorf("inventory of %s: %w", where, err)
		}
		return h, nil
	}, nil
}

func runInventory(ctx context.Context, stdout, stderr io.Writer, src hostSource, names *pciids.DB, output string) error {
	h, err := src(ctx)
	if err != nil {
		return err
	}
	r := inventory.Build(h, names)
	if err := names.Err(); err != nil {
		// Ids without names are still a full report.
		fmt.Fprintf(stderr, "warning: %v; showing ids only\n", err)
	}
	if output == outputJSON {
		return printJSON(stdout, r)
	}
	return printInventory(stdout, r)
}

// printInventory prints the ports like StarlingX's system host-port-list,
// then the NUMA nodes.
func printInventory(w io.Writer, r inventory.Report) error {
	rows := make([][]string, 0, len(r.Ports))
	for _, p := range r.Ports {
		rows = append(rows, []string{
			p.Name, p.PCIAddr, p.Driver, numa(p.NUMANode), p.MAC, p.Link, speed(p.Speed),
			intOrDash(p.SRIOVTotalVFs), intOrDash(p.SRIOVNumVFs), strOrDash(p.SRIOVVFDriver), p.PDevice,
		})
	}
	headers := []string{"name", "pciaddr", "driver", "numa", "mac", "link", "speed", "sriov total", "sriov num", "vf driver", "device"}
	if err := printTable(w, headers, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for _, n := range r.NUMANodes {
		rows = append(rows, []string{strconv.Itoa(n.ID), n.CPUList})
	}
	return printTable(w, []string{"numa node", "cpus"}, rows)
}

func numa(n int) string {
	if n < 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

func speed(mbps int) string {
	if mbps < 0 {
		return "-"
	}
	return strconv.Itoa(mbps)
}

func intOrDash(p *int) string {
	if p == nil {
		return "-"
	}
	return strconv.Itoa(*p)
}

func strOrDash(p *string) string {
	if p == nil {
		return "-"
	}
	return *p
}

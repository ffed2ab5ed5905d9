package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"vfnet/internal/client"
	"vfnet/internal/model"
)

func newPortCmds() []*cobra.Command {
	return []*cobra.Command{newPortListCmd(), newPortShowCmd()}
}

func newPortListCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "host-port-list HOST",
		Short: "List a host's physical NIC ports, as its agent reports them",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			ps, err := c.Ports(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var rows [][]string
			for _, p := range ps {
				total := "None"
				if p.SRIOVTotalVFs != nil {
					total = fmt.Sprint(*p.SRIOVTotalVFs)
				}
				rows = append(rows, []string{p.ID, p.Name, p.PCIAddr, p.PDevice, fmt.Sprint(p.NUMANode), p.Driver,
					total, fmt.Sprint(p.SRIOVNumVFs), p.SRIOVVFDriver})
			}
			return o.list(cmd.OutOrStdout(), ps, []string{"uuid", "name", "pci address", "device", "processor", "driver",
				"sriov_totalvfs", "sriov_numvfs", "sriov_vf_driver"}, rows)
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

func newPortShowCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "host-port-show HOST PORT",
		Short: "Show a port (by name, PCI address or uuid)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd, &o, func(ctx context.Context, c *client.Client) (model.Port, error) {
				return c.Port(ctx, args[0], args[1])
			})
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"vfnet/internal/api"
	"vfnet/internal/client"
	"vfnet/internal/switchport"
)

// newInstanceCmd is `vfnet instance create|list|show|delete|migrate`.
func newInstanceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "instance",
		Short: "VMs: claim SR-IOV VFs (direct) or whole NICs (direct-physical) for their ports",
	}
	cmd.AddCommand(newInstanceCreateCmd(), newInstanceListCmd(), newInstanceShowCmd(), newInstanceDeleteCmd(), newInstanceMigrateCmd())
	return cmd
}

func newInstanceCreateCmd() *cobra.Command {
	var o clientOptions
	var nics []string
	var node int
	var host, policy string
	cmd := &cobra.Command{
		Use:   "create --nic port-id=PORT [--nic ...] [--numa-node N] [--host HOST] NAME",
		Short: "Create an instance: one host, one VF or PF per port, programmed by the host's agent",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := api.InstanceRequest{Name: args[0], Host: host, NUMAPolicy: policy}
			for _, n := range nics {
				id, ok := strings.CutPrefix(n, "port-id=")
				if !ok || id == "" {
					return fmt.Errorf("--nic %q: give port-id=PORT (a port made with openstack port create --vnic-type direct)", n)
				}
				req.Ports = append(req.Ports, id)
			}
			if len(req.Ports) == 0 {
				return fmt.Errorf("instance %s: give at least one --nic port-id=PORT", args[0])
			}
			if cmd.Flags().Changed("numa-node") {
				req.NUMANode = &node
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			in, err := c.CreateInstance(cmd.Context(), req)
			if err != nil {
				return err
			}
			return showInstance(cmd, &o, in)
		},
	}
	cmd.Flags().StringArrayVar(&nics, "nic", nil, "port-id=PORT: a NIC of the instance (repeat for more)")
	// Read only when given (Changed), so the zero default is never sent and
	// help does not print a misleading "(default -1)".
	cmd.Flags().IntVar(&node, "numa-node", 0, "pin the instance to this NUMA node (unset: vfnet chooses)")
	cmd.Flags().StringVar(&host, "host", "", "place the instance on this host (default: vfnet chooses)")
	cmd.Flags().StringVar(&policy, "numa-policy", "", "NUMA affinity policy of ports that have none: required, preferred, legacy (default) or socket")
	addClientFlags(cmd, &o)
	return cmd
}

func instanceRows(in api.InstanceView) [][]string {
	var rows [][]string
	for _, n := range in.NICs {
		rows = append(rows, []string{n.PortID, n.VNICType, n.MACAddress, strconv.Itoa(n.VLAN), n.PCIAddr, n.Interface, n.Status})
	}
	return rows
}

// showInstance prints an instance, its NICs and each NIC's libvirt XML.
func showInstance(cmd *cobra.Command, o *clientOptions, in api.InstanceView) error {
	w := cmd.OutOrStdout()
	if o.output == outputJSON {
		return printJSON(w, in)
	}
	node := strconv.Itoa(in.NUMANode)
	if in.NUMANode < 0 {
		node = "none"
	}
	if err := printTable(w, []string{"Property", "Value"}, [][]string{{"id", in.ID}, {"name", in.Name}, {"host", in.Host},
		{"numa_node", node}, {"project_id", in.ProjectID}}); err != nil {
		return err
	}
	if err := printTable(w, []string{"port", "vnic_type", "mac_address", "vlan", "pci_slot", "ifname", "status"}, instanceRows(in)); err != nil {
		return err
	}
	for _, n := range in.NICs {
		if n.LibvirtXML == "" {
			continue
		}
		fmt.Fprintf(w, "\nlibvirt XML of port %s:\n%s\n", n.PortID, n.LibvirtXML)
	}
	return nil
}

func newInstanceListCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List instances",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			ins, err := c.Instances(cmd.Context())
			if err != nil {
				return err
			}
			var rows [][]string
			for _, in := range ins {
				var devs []string
				for _, n := range in.NICs {
					devs = append(devs, n.PCIAddr)
				}
				rows = append(rows, []string{in.ID, in.Name, in.Host, strconv.Itoa(in.NUMANode), joinComma(devs)})
			}
			return o.list(cmd.OutOrStdout(), ins, []string{"id", "name", "host", "numa_node", "pci_slots"}, rows)
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

func newInstanceShowCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show an instance, its NICs and their libvirt XML",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			in, err := c.Instance(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return showInstance(cmd, &o, in)
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

func newInstanceDeleteCmd() *cobra.Command {
	return newDeleteOneCmd("delete NAME", "Delete an instance: its devices are released and reset by their agents", "instance",
		func(ctx context.Context, c *client.Client, ref string) (deleted, error) {
			in, err := c.Instance(ctx, ref)
			if err != nil {
				return deleted{}, err
			}
			return deleted{ID: in.ID, Name: in.Name}, c.DeleteInstance(ctx, in.ID)
		})
}

func newInstanceMigrateCmd() *cobra.Command {
	var o clientOptions
	var live bool
	var host string
	cmd := &cobra.Command{
		Use:   "migrate [--live] [--host HOST] NAME",
		Short: "Move an instance to another host (cold: new devices there, the old ones released and reset)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			in, err := c.MigrateInstance(cmd.Context(), args[0], api.MigrateRequest{Live: live, Host: host})
			if err != nil {
				return err
			}
			return showInstance(cmd, &o, in)
		},
	}
	cmd.Flags().BoolVar(&live, "live", false, "live migration (refused: SR-IOV and PCI passthrough ports do not support it)")
	cmd.Flags().StringVar(&host, "host", "", "destination host (default: vfnet chooses)")
	addClientFlags(cmd, &o)
	return cmd
}

// newHostIfVLANsCmd is `vfnet host-if-vlans HOST`: the access switch report.
func newHostIfVLANsCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "host-if-vlans HOST",
		Short: "What each SR-IOV and passthrough interface's access switch port must carry (trunk VLANs, or the access VLAN)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			sps, err := c.SwitchPorts(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var rows [][]string
			for _, sp := range sps {
				rows = append(rows, sp.Cells())
			}
			return o.list(cmd.OutOrStdout(), sps, switchport.Header(), rows)
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"vfnet/internal/api"
	"vfnet/internal/client"
	"vfnet/internal/model"
)

func newInterfaceCmds() []*cobra.Command {
	return []*cobra.Command{newIfListCmd(), newIfShowCmd(), newIfModifyCmd(), newIfAddCmd(), newIfDeleteCmd()}
}

func newIfListCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "host-if-list HOST",
		Short: "List a host's interfaces",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			ifs, err := c.Interfaces(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if o.output == outputJSON {
				return printJSON(cmd.OutOrStdout(), ifs)
			}
			ports, err := c.Ports(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			portName := map[string]string{}
			for _, p := range ports {
				portName[p.ID] = p.Name
			}
			var rows [][]string
			for _, i := range ifs {
				var ps []string
				if n, ok := portName[i.PortID]; ok {
					ps = append(ps, n)
				}
				rows = append(rows, []string{i.ID, i.Name, string(i.Class), string(i.Type), vlanCell(i),
					joinComma(ps), joinComma(i.Uses), joinComma(i.UsedBy), attributes(i), joinComma(i.DataNetworks)})
			}
			return printTable(cmd.OutOrStdout(), []string{"uuid", "name", "class", "type", "vlan id", "ports",
				"uses i/f", "used by i/f", "attributes", "data networks"}, rows)
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

func vlanCell(i model.Interface) string {
	if i.Type != model.IfTypeVLAN {
		return "None"
	}
	return fmt.Sprint(i.VLANID)
}

// attributes is the attributes column of `system host-if-list`.
func attributes(i model.Interface) string {
	a := []string{fmt.Sprintf("MTU=%d", i.MTU)}
	if i.Class == model.IfClassPCISRIOV {
		drv := string(i.SRIOVVFDriver)
		if drv == "" {
			drv = "None"
		}
		a = append(a, fmt.Sprintf("sriov_numvfs=%d", i.SRIOVNumVFs), "sriov_vf_driver="+drv)
	}
	if i.MaxTxRate > 0 {
		a = append(a, fmt.Sprintf("max_tx_rate=%d", i.MaxTxRate))
	}
	if i.AEMode != "" {
		a = append(a, "AE_MODE="+string(i.AEMode))
	}
	return strings.Join(a, ",")
}

func newIfShowCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "host-if-show HOST INTERFACE",
		Short: "Show an interface (by name or uuid)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd, &o, func(ctx context.Context, c *client.Client) (model.Interface, error) {
				return c.Interface(ctx, args[0], args[1])
			})
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

// ifFlags are the interface attributes host-if-modify and host-if-add take,
// with `system`'s letters.
type ifFlags struct {
	name, class, driver, aemode string
	numvfs, mtu, maxTxRate      int
	vlanID                      int
}

func (f *ifFlags) add(cmd *cobra.Command, rename bool) {
	fl := cmd.Flags()
	if rename {
		fl.StringVarP(&f.name, "ifname", "n", "", "new interface name")
	}
	fl.StringVarP(&f.class, "ifclass", "c", "", "class: none, platform, data, pci-sriov, pci-passthrough")
	fl.IntVarP(&f.numvfs, "num-vfs", "N", 0, "number of SR-IOV VFs (class pci-sriov)")
	fl.StringVar(&f.driver, "vf-driver", "", "VF driver: netdevice or vfio (class pci-sriov)")
	fl.IntVarP(&f.mtu, "imtu", "m", 0, "MTU (576-9216)")
	fl.IntVar(&f.maxTxRate, "max-tx-rate", 0, "per-VF transmit limit in Mbps (vf interfaces)")
	fl.StringVarP(&f.aemode, "aemode", "a", "", "ae mode: active_standby, balanced, 802.3ad")
	fl.IntVarP(&f.vlanID, "vlan-id", "V", 0, "VLAN id (vlan interfaces)")
}

// patch holds the flags the user gave, and only those.
func (f *ifFlags) patch(cmd *cobra.Command) model.InterfacePatch {
	var p model.InterfacePatch
	ch := cmd.Flags().Changed
	if ch("ifname") {
		p.Name = &f.name
	}
	if ch("ifclass") {
		c := model.IfClass(f.class)
		p.Class = &c
	}
	if ch("num-vfs") {
		p.SRIOVNumVFs = &f.numvfs
	}
	if ch("vf-driver") {
		d := model.VFDriver(f.driver)
		p.SRIOVVFDriver = &d
	}
	if ch("imtu") {
		p.MTU = &f.mtu
	}
	if ch("max-tx-rate") {
		p.MaxTxRate = &f.maxTxRate
	}
	if ch("aemode") {
		m := model.AEMode(f.aemode)
		p.AEMode = &m
	}
	if ch("vlan-id") {
		p.VLANID = &f.vlanID
	}
	return p
}

func newIfModifyCmd() *cobra.Command {
	var o clientOptions
	var f ifFlags
	cmd := &cobra.Command{
		Use:   "host-if-modify HOST INTERFACE",
		Short: "Modify an interface of a locked host",
		Example: `  vfnet host-lock compute-0
  vfnet host-if-modify compute-0 enp59s0f0 -c pci-sriov -N 8 --vf-driver netdevice -n sriov0`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd, &o, func(ctx context.Context, c *client.Client) (model.Interface, error) {
				return c.ModifyInterface(ctx, args[0], args[1], f.patch(cmd))
			})
		},
	}
	addClientFlags(cmd, &o)
	f.add(cmd, true)
	return cmd
}

func newIfAddCmd() *cobra.Command {
	var o clientOptions
	var f ifFlags
	cmd := &cobra.Command{
		Use:   "host-if-add HOST NAME TYPE LOWER...",
		Short: "Add an ae, vlan or vf interface over lower interfaces of a locked host",
		Example: `  vfnet host-if-add compute-0 dpdk0 vf sriov0 -N 2 --vf-driver vfio
  vfnet host-if-add compute-0 vlan10 vlan enp59s0f1 -V 10 -c data`,
		Args: cobra.MinimumNArgs(4),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd, &o, func(ctx context.Context, c *client.Client) (model.Interface, error) {
				p := f.patch(cmd)
				req := api.AddInterfaceRequest{Name: args[1], Type: model.IfType(args[2]), Uses: args[3:],
					SRIOVNumVFs: f.numvfs, MTU: f.mtu, MaxTxRate: f.maxTxRate, VLANID: f.vlanID}
				if p.Class != nil {
					req.Class = *p.Class
				}
				if p.SRIOVVFDriver != nil {
					req.SRIOVVFDriver = *p.SRIOVVFDriver
				}
				if p.AEMode != nil {
					req.AEMode = *p.AEMode
				}
				return c.AddInterface(ctx, args[0], req)
			})
		},
	}
	addClientFlags(cmd, &o)
	f.add(cmd, false)
	return cmd
}

func newIfDeleteCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "host-if-delete HOST INTERFACE",
		Short: "Delete an interface of a locked host",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			return deleteEach(cmd, &o, "interface", args[1:], func(ctx context.Context, ref string) (deleted, error) {
				ifc, err := c.Interface(ctx, args[0], ref)
				if err != nil {
					return deleted{}, err
				}
				return deleted{ID: ifc.ID, Name: ifc.Name}, c.DeleteInterface(ctx, args[0], ifc.ID)
			})
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

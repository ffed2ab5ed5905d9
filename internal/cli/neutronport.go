package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"vfnet/internal/client"
	"vfnet/internal/neutron"
)

// newNeutronPortCmd is `vfnet port create|list|show|set|delete`, the
// openstack CLI's verbs over /v2.0/ports: a VM's NIC, which vfnet binds to
// an SR-IOV VF (vnic_type direct, this CLI's default) or a whole PF
// (direct-physical). A host's physical NIC ports are host-port-list.
func newNeutronPortCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "port",
		Short: "Ports (/v2.0, as `openstack port`): VM NICs bound to an SR-IOV VF (direct) or a whole NIC (direct-physical)",
	}
	cmd.AddCommand(newPortCreateCmd(), newNeutronPortListCmd(), newNeutronPortShowCmd(), newPortSetCmd(), newPortDeleteCmd())
	return cmd
}

// portFlags are the attributes port create and set share.
type portFlags struct {
	description, vnicType, mac, host, device, owner string
	fixedIPs                                        []string
	noFixedIP                                       bool
	admin, portSec                                  boolPair
	tags                                            tagFlags
}

// numaPolicyFlags are the --numa-policy-X flags, as openstack port create
// has them (socket is the port-numa-affinity-policy-socket extension's).
func numaPolicyFlags() []struct{ flag, policy, help string } {
	return []struct{ flag, policy, help string }{
		{"numa-policy-required", neutron.NUMARequired, "the VF must be on the instance's NUMA node"},
		{"numa-policy-preferred", neutron.NUMAPreferred, "prefer a VF on the instance's NUMA node"},
		{"numa-policy-legacy", neutron.NUMALegacy, "NUMA affinity when a VF is free there, else any (Nova's legacy mode)"},
		{"numa-policy-socket", neutron.NUMASocket, "the VF must be on a NUMA node of the instance's socket"},
	}
}

func addPortFlags(cmd *cobra.Command, f *portFlags, create bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.description, "description", "", "description of the port")
	vnicHelp := "vnic type: direct (an SR-IOV VF) or direct-physical (a whole NIC) are the ones vfnet binds"
	if create {
		fl.StringVar(&f.vnicType, "vnic-type", neutron.VNICDirect, vnicHelp)
	} else {
		fl.StringVar(&f.vnicType, "vnic-type", "", vnicHelp+" (not while bound)")
	}
	fl.StringVar(&f.mac, "mac-address", "", "MAC address (default: a generated fa:16:3e one; not while bound)")
	fl.StringVar(&f.host, "host", "", "bind the port on this host (binding:host_id; admin or service)")
	fl.StringVar(&f.device, "device", "", "device ID: the instance that uses the port")
	fl.StringVar(&f.owner, "device-owner", "", "device owner, e.g. compute:nova")
	fl.StringArrayVar(&f.fixedIPs, "fixed-ip", nil, "subnet=SUBNET,ip-address=IP: an address for the port, either part optional (repeat for more)")
	fl.BoolVar(&f.noFixedIP, "no-fixed-ip", false, "no IP address for the port (on set: remove the existing ones first)")
	var names []string
	for _, n := range numaPolicyFlags() {
		fl.Bool(n.flag, false, "NUMA affinity policy "+n.policy+": "+n.help)
		names = append(names, n.flag)
	}
	cmd.MarkFlagsMutuallyExclusive(names...)
	f.admin = addBoolPair(cmd, "enable", "disable", "admin_state_up", "enable the port (default)", "disable the port")
	f.portSec = addBoolPair(cmd, "enable-port-security", "disable-port-security", "port_security_enabled",
		"MAC spoof checking on the port's VF (default: the network's setting)", "no MAC spoof checking on the port's VF")
	addTagFlags(cmd, &f.tags, "port")
}

// attrs returns the attributes the flags set; fixed IPs given on set are
// added to current's unless --no-fixed-ip drops those first.
func (f *portFlags) attrs(ctx context.Context, cmd *cobra.Command, c *client.Client, current []neutron.FixedIP) (client.Attrs, error) {
	a := client.Attrs{}
	fl := cmd.Flags()
	for flag, attr := range map[string]string{"description": "description", "vnic-type": "binding:vnic_type",
		"mac-address": "mac_address", "host": "binding:host_id", "device": "device_id", "device-owner": "device_owner"} {
		if fl.Changed(flag) {
			a[attr], _ = fl.GetString(flag)
		}
	}
	for _, n := range numaPolicyFlags() {
		if on, _ := fl.GetBool(n.flag); on {
			a["numa_affinity_policy"] = n.policy
		}
	}
	f.admin.set(cmd, a)
	f.portSec.set(cmd, a)
	if f.noFixedIP || len(f.fixedIPs) > 0 {
		ips := []map[string]string{}
		if !f.noFixedIP {
			for _, ip := range current {
				ips = append(ips, map[string]string{"subnet_id": ip.SubnetID, "ip_address": ip.IPAddress})
			}
		}
		for _, s := range f.fixedIPs {
			kv, err := keyValues("fixed-ip", s, "subnet", "ip-address")
			if err != nil {
				return nil, err
			}
			ip := map[string]string{}
			if kv["subnet"] != "" {
				sub, err := subnets().find(ctx, c, kv["subnet"])
				if err != nil {
					return nil, fmt.Errorf("--fixed-ip %s: %w", s, err)
				}
				ip["subnet_id"] = sub.Value.ID
			}
			if kv["ip-address"] != "" {
				ip["ip_address"] = kv["ip-address"]
			}
			ips = append(ips, ip)
		}
		a["fixed_ips"] = ips
	}
	return a, nil
}

func newPortCreateCmd() *cobra.Command {
	var o clientOptions
	var f portFlags
	var network, project string
	cmd := &cobra.Command{
		Use:   "create --network NETWORK [--vnic-type direct] [--fixed-ip subnet=SUBNET,ip-address=IP] NAME",
		Short: "Create a port (vnic type direct by default: an SR-IOV VF once bound)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			n, err := networks().find(ctx, c, network)
			if err != nil {
				return err
			}
			a, err := f.attrs(ctx, cmd, c, nil)
			if err != nil {
				return err
			}
			a["name"], a["network_id"], a["binding:vnic_type"] = args[0], n.Value.ID, f.vnicType
			if project != "" {
				a["project_id"] = project
			}
			// Ports take their tags in the create body.
			if tags, ok := f.tags.changed(nil); ok {
				a["tags"] = tags
			}
			p, err := c.CreateNeutronPort(ctx, a)
			if err != nil {
				return err
			}
			return showAttrs(cmd.OutOrStdout(), &o, p.Attrs)
		},
	}
	cmd.Flags().StringVar(&network, "network", "", "network the port belongs to (name or ID)")
	cmd.MarkFlagRequired("network")
	cmd.Flags().StringVar(&project, "project", "", "owner's project (ID; admin only)")
	addPortFlags(cmd, &f, true)
	addClientFlags(cmd, &o)
	return cmd
}

func newNeutronPortListCmd() *cobra.Command {
	var o clientOptions
	var l listFlags
	var network, host, device, owner, mac string
	var fixedIPs []string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List ports (ID | Name | MAC Address | Fixed IP Addresses | Status)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			q := l.query()
			if err := networkQuery(ctx, c, q, network); err != nil {
				return err
			}
			for k, v := range map[string]string{"binding:host_id": host, "device_id": device, "device_owner": owner, "mac_address": mac} {
				if v != "" {
					q.Set(k, v)
				}
			}
			for _, s := range fixedIPs {
				kv, err := keyValues("fixed-ip", s, "subnet", "ip-address")
				if err != nil {
					return err
				}
				if kv["subnet"] != "" {
					sub, err := subnets().find(ctx, c, kv["subnet"])
					if err != nil {
						return fmt.Errorf("--fixed-ip %s: %w", s, err)
					}
					q.Add("fixed_ips", "subnet_id="+sub.Value.ID)
				}
				if kv["ip-address"] != "" {
					q.Add("fixed_ips", "ip_address="+kv["ip-address"])
				}
			}
			ps, err := c.NeutronPorts(ctx, q)
			if err != nil {
				return err
			}
			cols := []column{{"ID", "id"}, {"Name", "name"}, {"MAC Address", "mac_address"}, {"Fixed IP Addresses", "fixed_ips"}, {"Status", "status"}}
			if l.long {
				cols = append(cols, column{"VNIC Type", "binding:vnic_type"}, column{"Host", "binding:host_id"},
					column{"Security Groups", "security_groups"}, column{"Device Owner", "device_owner"}, column{"Tags", "tags"})
			}
			return listObjects(cmd.OutOrStdout(), &o, ps, cols)
		},
	}
	addListFlags(cmd, &l, "port")
	cmd.Flags().StringVar(&network, "network", "", "list only ports of this network (name or ID)")
	cmd.Flags().StringVar(&host, "host", "", "list only ports bound on this host (admin or service)")
	cmd.Flags().StringVar(&device, "device-id", "", "list only ports of this device (instance)")
	cmd.Flags().StringVar(&owner, "device-owner", "", "list only ports of this device owner")
	cmd.Flags().StringVar(&mac, "mac-address", "", "list only the port with this MAC address")
	cmd.Flags().StringArrayVar(&fixedIPs, "fixed-ip", nil, "subnet=SUBNET,ip-address=IP: list only ports with this address or an address in this subnet")
	addClientFlags(cmd, &o)
	return cmd
}

func newNeutronPortShowCmd() *cobra.Command {
	return ports().newShowCmd("show PORT", "Show a port (by name or ID)")
}

func newPortSetCmd() *cobra.Command {
	var o clientOptions
	var f portFlags
	var name string
	cmd := &cobra.Command{
		Use:   "set [--name NAME] [--description TEXT] [--enable|--disable] [--host HOST] [--tag TAG] ... PORT",
		Short: "Change a port's attributes (by name or ID) and show it; --host binds it there",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ports().runSet(cmd, &o, args[0], name, f.tags,
				func(ctx context.Context, c *client.Client, p client.NeutronPort) (client.Attrs, error) {
					return f.attrs(ctx, cmd, c, p.Value.FixedIPs)
				})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "new name")
	addPortFlags(cmd, &f, false)
	addClientFlags(cmd, &o)
	return cmd
}

func newPortDeleteCmd() *cobra.Command {
	return ports().newDeleteCmd("delete PORT [PORT ...]",
		"Delete ports (by name or ID): a bound port's VF is released and reset, its addresses freed")
}

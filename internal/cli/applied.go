package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// newHostAppliedShowCmd is `vfnet host-applied-show HOST`: the agent's last
// applied report, one row per PF: its driver, VF counts, and the VF
// attributes its driver lacks (igb: link_state), which the agent does not
// send and the server refuses to depend on. -o json prints the whole report
// (writes, events, VFs).
func newHostAppliedShowCmd() *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   "host-applied-show HOST",
		Short: "Show what a host's agent last applied: per PF, its driver, VFs and the VF attributes the driver lacks",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			v, err := c.Applied(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if o.output == outputJSON {
				return printJSON(w, v)
			}
			if v.Report == nil {
				_, err := fmt.Fprintf(w, "host %s: its agent has not reported yet (desired revision %d)\n", v.Host, v.Desired)
				return err
			}
			r := v.Report
			fmt.Fprintf(w, "host %s: revision %d of %d applied at %s: converged=%v passes=%d writes sysfs=%d netlink=%d errors=%d\n",
				v.Host, r.Revision, v.Desired, v.ReportedAt.Format(time.RFC3339), r.Converged, r.Passes, r.Writes.Sysfs, r.Writes.Netlink, len(r.Errors))
			var rows [][]string
			for _, p := range r.PFs {
				unsupported := strings.Join(p.Unsupported, ",")
				if unsupported == "" {
					unsupported = "-"
				}
				rows = append(rows, []string{p.PCIAddr, p.Ifname, p.Driver, fmt.Sprint(p.TotalVFs), fmt.Sprint(p.NumVFs), unsupported})
			}
			return printTable(w, []string{"pf", "ifname", "driver", "sriov_totalvfs", "sriov_numvfs", "unsupported"}, rows)
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

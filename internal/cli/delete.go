package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"vfnet/internal/client"
)

// deleted is one object a delete verb removed, as every delete verb
// reports it.
type deleted struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// deletedList is what a delete verb prints with -o json.
type deletedList struct {
	Deleted []deleted `json:"deleted"`
}

// deleteEach is the body of every delete verb: it deletes each named
// object, going on after a failure as `openstack network delete a b` does,
// and reports what went in one shape: "Deleted KIND NAME (ID)" lines, or
// with -o json {"deleted":[{"id","name"}]} (printed also when some failed,
// so a script learns what is gone).
func deleteEach(cmd *cobra.Command, o *clientOptions, kind string, refs []string, del func(ctx context.Context, ref string) (deleted, error)) error {
	var errs []error
	out := deletedList{Deleted: []deleted{}}
	for _, ref := range refs {
		d, err := del(cmd.Context(), ref)
		if err != nil {
			errs = append(errs, fmt.Errorf("delete %s %q: %w%s", kind, ref, err, inUseHint(err, ref)))
			continue
		}
		out.Deleted = append(out.Deleted, d)
		if o.output != outputJSON {
			fmt.Fprintln(cmd.OutOrStdout(), deletedLine(kind, d))
		}
	}
	if o.output == outputJSON && (len(out.Deleted) > 0 || len(errs) == 0) {
		if err := printJSON(cmd.OutOrStdout(), out); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 1 {
		errs = append(errs, fmt.Errorf("%d of %d %ss failed to delete", len(errs), len(refs), kind))
	}
	return errors.Join(errs...)
}

// newDeleteOneCmd is a delete verb of one object named by name or ID: del
// looks ref up and deletes what it found, and deleteEach reports it.
func newDeleteOneCmd(use, short, kind string, del func(ctx context.Context, c *client.Client, ref string) (deleted, error)) *cobra.Command {
	var o clientOptions
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			return deleteEach(cmd, &o, kind, args, func(ctx context.Context, ref string) (deleted, error) {
				return del(ctx, c, ref)
			})
		},
	}
	addClientFlags(cmd, &o)
	return cmd
}

// deletedLine is the table-mode report of one deletion; an object without
// a name (a port may have none) is named by its ID alone.
func deletedLine(kind string, d deleted) string {
	if d.Name == "" {
		return fmt.Sprintf("Deleted %s %s", kind, d.ID)
	}
	return fmt.Sprintf("Deleted %s %s (%s)", kind, d.Name, d.ID)
}

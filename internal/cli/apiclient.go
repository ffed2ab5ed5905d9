package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"vfnet/internal/client"
)

// clientOptions are the flags of every verb that talks to a server.
type clientOptions struct {
	url, token string
	output     string
}

// addClientFlags adds --url, --token and -o to cmd.
func addClientFlags(cmd *cobra.Command, o *clientOptions) {
	cmd.Flags().StringVar(&o.url, "url", "", "vfnet server URL (default $VFNET_URL)")
	cmd.Flags().StringVar(&o.token, "token", "", "API token (default $VFNET_TOKEN)")
	cmd.Flags().StringVarP(&o.output, "output", "o", outputTable, "output format: table or json")
}

// client returns the API client the flags (or VFNET_URL and VFNET_TOKEN)
// name, after checking -o.
func (o *clientOptions) client() (*client.Client, error) {
	if err := checkOutput(o.output); err != nil {
		return nil, err
	}
	url, token := o.url, o.token
	if url == "" {
		url = os.Getenv("VFNET_URL")
	}
	if token == "" {
		token = os.Getenv("VFNET_TOKEN")
	}
	if url == "" {
		return nil, errors.New("no server: set VFNET_URL (or --url), e.g. http://127.0.0.1:6385")
	}
	if token == "" {
		return nil, errors.New("no token: set VFNET_TOKEN (or --token); the server's admin token is in its data directory's admin-token file")
	}
	return client.New(url, token, nil), nil
}

// show prints one object: as JSON with -o json, else as a Property/Value
// table of its JSON fields in name order, as `system *-show` does.
func (o *clientOptions) show(w io.Writer, v any) error {
	if o.output == outputJSON {
		return printJSON(w, v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("show %T: not an object: %w", v, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rows := make([][]string, 0, len(keys))
	for _, k := range keys {
		rows = append(rows, []string{k, cell(m[k])})
	}
	return printTable(w, []string{"Property", "Value"}, rows)
}

// runShow is the body of the verbs that make one call and show the object
// the server answers with.
func runShow[T any](cmd *cobra.Command, o *clientOptions, call func(context.Context, *client.Client) (T, error)) error {
	c, err := o.client()
	if err != nil {
		return err
	}
	v, err := call(cmd.Context(), c)
	if err != nil {
		return err
	}
	return o.show(cmd.OutOrStdout(), v)
}

// list prints a list: JSON with -o json, else a table of rows.
func (o *clientOptions) list(w io.Writer, v any, headers []string, rows [][]string) error {
	if o.output == outputJSON {
		return printJSON(w, v)
	}
	return printTable(w, headers, rows)
}

// cell renders a JSON value for a table cell.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return x
	case float64:
		return fmt.Sprint(x)
	case bool:
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = cell(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func joinComma(s []string) string { return strings.Join(s, ",") }

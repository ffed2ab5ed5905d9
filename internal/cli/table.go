package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Output formats every listing command takes with -o.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// checkOutput rejects an -o value other than table or json.
func checkOutput(o string) error {
	if o != outputTable && o != outputJSON {
		return fmt.Errorf("-o %q: want %s or %s", o, outputTable, outputJSON)
	}
	return nil
}

// printJSON writes v as indented JSON, the -o json form of every command.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printTable draws rows under headers with +---+ borders, as the OpenStack
// and StarlingX CLIs do. A row shorter than headers leaves the rest blank.
func printTable(w io.Writer, headers []string, rows [][]string) error {
	widths := make([]int, len(headers))
	for i, h := range headers {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range rows {
		for i := range min(len(r), len(widths)) {
			widths[i] = max(widths[i], utf8.RuneCountInString(r[i]))
		}
	}
	var b strings.Builder
	border := func() {
		for _, n := range widths {
			b.WriteByte('+')
			b.WriteString(strings.Repeat("-", n+2))
		}
		b.WriteString("+\n")
	}
	line := func(cells []string) {
		for i, n := range widths {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			b.WriteString("| ")
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", n-utf8.RuneCountInString(c)+1))
		}
		b.WriteString("|\n")
	}
	border()
	line(headers)
	border()
	for _, r := range rows {
		line(r)
	}
	border()
	_, err := io.WriteString(w, b.String())
	return err
}

package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/faultline/faultline/experiments"
)

func kindsCommand() *cli.Command {
	return &cli.Command{
		Name:   "kinds",
		Usage:  "list the fault, action and probe kinds of this build with their parameters",
		Action: func(c *cli.Context) error { return printKinds(os.Stdout, c.Bool("markdown"), "") },
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "markdown", Usage: "one Markdown table, as in the README"},
		},
	}
}

// listKinds is `inject --list`: the fault kinds only, and how to inject one.
func listKinds() error {
	if err := printKinds(os.Stdout, false, "fault"); err != nil {
		return err
	}
	fmt.Println("faultline inject KIND --with KEY=VALUE… [--netns NS] [--for 30s] [--probe URL]")
	return nil
}

// printKinds prints the registries' kinds (of one class, or all) with the
// parameters of their `with` structs.
func printKinds(w io.Writer, markdown bool, class string) error {
	var kinds []experiments.KindInfo
	for _, k := range experiments.Kinds() {
		if class == "" || k.Class == class {
			kinds = append(kinds, k)
		}
	}
	if markdown {
		return kindsMarkdown(w, kinds)
	}
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	for _, k := range kinds {
		fmt.Fprintf(tw, "%s (%s): %s\n", k.Name, k.Class, k.Doc)
		for _, p := range k.Params {
			fmt.Fprintf(tw, "  %s\t%s\n", p.Name, paramText(p))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// paramText is "TYPE, required" or "TYPE, default D", then the doc.
func paramText(p experiments.Param) string {
	s := p.Type
	if p.Required {
		s += ", required"
	}
	if p.Default != "" {
		s += ", default " + p.Default
	}
	if p.Doc != "" {
		s += ": " + p.Doc
	}
	return s
}

func kindsMarkdown(w io.Writer, kinds []experiments.KindInfo) error {
	fmt.Fprintln(w, "| kind | class | parameters (required in bold) | what it does |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, k := range kinds {
		var ps []string
		for _, p := range k.Params {
			s := "`" + p.Name + "` " + p.Type
			if p.Required {
				s = "**" + s + "**"
			}
			if p.Default != "" {
				s += " = " + p.Default
			}
			ps = append(ps, strings.ReplaceAll(s, "|", "\\|"))
		}
		_, err := fmt.Fprintf(w, "| `%s` | %s | %s | %s |\n", k.Name, k.Class, strings.Join(ps, ", "), strings.ReplaceAll(k.Doc, "|", "\\|"))
		if err != nil {
			return err
		}
	}
	return nil
}

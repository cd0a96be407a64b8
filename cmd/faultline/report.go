package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/journal"
	"github.com/faultline/faultline/reports"
)

// reportFlags are the flags of `faultline report`.
func reportFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "format", Value: "markdown", Usage: strings.Join(reports.FormatNames(), " | ")},
		&cli.StringFlag{Name: "baseline", Usage: "an earlier run's journal: show every measured value next to it, with the change"},
	}
}

// reportArgs are the journal and the flags, which may also follow the
// journal (`report run.jsonl --format html`): urfave/cli stops parsing
// flags at the first argument, so trailing ones are parsed here.
type reportArgs struct {
	journal, format, baseline string
}

func parseReportArgs(c *cli.Context) (reportArgs, error) {
	a := reportArgs{format: c.String("format"), baseline: c.String("baseline")}
	args := c.Args().Slice()
	if len(args) == 0 {
		return a, errors.New("report: name exactly one journal")
	}
	a.journal = args[0]
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.format, "format", a.format, "")
	fs.StringVar(&a.baseline, "baseline", a.baseline, "")
	if err := fs.Parse(args[1:]); err != nil {
		return a, fmt.Errorf("report: %w", err)
	}
	if fs.NArg() > 0 {
		return a, errors.New("report: name exactly one journal")
	}
	return a, nil
}

func reportCmd(c *cli.Context) error {
	a, err := parseReportArgs(c)
	if err != nil {
		return invalid(err)
	}
	run, err := journal.ReadFile(a.journal)
	if err != nil {
		return invalid(err)
	}
	for _, w := range run.Warnings {
		fmt.Fprintf(os.Stderr, "faultline: %s: %s\n", a.journal, w)
	}
	rep := reports.Build(run)
	var cmp *reports.Comparison
	if a.baseline != "" {
		base, err := journal.ReadFile(a.baseline)
		if err != nil {
			return invalid(fmt.Errorf("baseline: %w", err))
		}
		cmp = reports.Compare(reports.Build(base), rep)
	}
	f, err := reports.LookupFormat(a.format)
	if err != nil {
		return invalid(fmt.Errorf("report: --format: %w", err))
	}
	err = f.Write(os.Stdout, rep, reports.Options{Baseline: cmp})
	if errors.Is(err, reports.ErrNoBaseline) {
		return invalid(fmt.Errorf("report: --baseline does not work with --format %s", f.Name))
	}
	if err != nil {
		return cli.Exit(err.Error(), exitcode.Infra)
	}
	return nil
}

package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/faultline/faultline/engine"
	"github.com/faultline/faultline/journal"
	"github.com/faultline/faultline/reports"
)

func reportCmd(c *cli.Context) error {
	if c.NArg() != 1 {
		return invalid(errors.New("report: name exactly one journal"))
	}
	run, err := journal.ReadFile(c.Args().First())
	if err != nil {
		return invalid(err)
	}
	rep := reports.Build(run)
	switch c.String("format") {
	case "json":
		err = reports.WriteJSON(os.Stdout, rep)
	case "junit":
		err = reports.WriteJUnit(os.Stdout, "faultline", rep)
	case "markdown", "md":
		err = reports.WriteMarkdown(os.Stdout, rep)
	default:
		return invalid(fmt.Errorf("report: unknown --format %q (json, junit, markdown)", c.String("format")))
	}
	if err != nil {
		return cli.Exit(err.Error(), engine.ExitInfra)
	}
	return nil
}

// Command faultline injects faults into virtualised infrastructure from a
// declarative experiment, probes the service throughout, and gives a
// verdict with measured numbers and an exit code a CI pipeline can gate on.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/faultline/faultline/internal/engine"
	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/measure"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	measure.Stage("main")
	app := &cli.App{
		Name:    "faultline",
		Usage:   "chaos experiments for KVM/libvirt infrastructure, with verdicts a CI can gate on",
		Version: version,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "state-dir", Value: engine.DefaultStateDir, EnvVars: []string{"FAULTLINE_STATE_DIR"},
				Usage: "where runs in progress register their journals (read by recover and the guard)"},
		},
		Commands:             commands(),
		EnableBashCompletion: true,
		// --with values are YAML ("links=[a, b]"): a comma is no separator.
		DisableSliceFlagSeparator: true,
		ExitErrHandler:            func(*cli.Context, error) {},
	}
	err := app.Run(flagsFirst(app, os.Args))
	os.Exit(exitCode(err))
}

// exitCode maps an error to the exit codes of DESIGN.md and prints it.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, msg)
		}
		return ec.ExitCode()
	}
	// Anything else is a usage error (bad flag, unknown command).
	fmt.Fprintln(os.Stderr, "faultline:", err)
	if strings.Contains(err.Error(), "flag provided but not defined") {
		fmt.Fprintln(os.Stderr, "faultline: flags may come before or after the arguments; `faultline COMMAND --help` lists a command's flags; an argument that starts with - goes after --")
	}
	return exitcode.Invalid
}

package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// completionFlag is the flag urfave/cli appends to ask for completions;
// it must stay last.
const completionFlag = "--generate-bash-completion"

// flagsFirst moves every flag ahead of the positional arguments of its
// command, so that flags may be typed before or after them ("run exp.yaml
// --out dir"): urfave/cli v2 stops reading flags at the first positional.
// A flag of an enclosing command (--state-dir) typed after a subcommand
// moves to that command. Everything after "--" stays as it is, and a flag
// that takes a value keeps it ("--out -x" reads -x as the value).
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	tail := []string{}
	if args[len(args)-1] == completionFlag {
		args, tail = args[:len(args)-1], []string{completionFlag}
		// Completing a bare "--": urfave/cli turns completion off after
		// "--" and reads the word being completed from os.Args anyway.
		if args[len(args)-1] == "--" {
			args = args[:len(args)-1]
		}
	}
	type level struct {
		flags []cli.Flag
		args  []string // flags and the command name of this level
	}
	levels := []*level{{flags: append(append([]cli.Flag{}, app.Flags...), cli.HelpFlag, cli.VersionFlag)}}
	cmds := app.Commands
	var positional, rest []string
	leaf := false
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = args[i:]
			break
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			at, fl := len(levels)-1, cli.Flag(nil)
			for l := len(levels) - 1; l >= 0 && fl == nil; l-- {
				if f := lookupFlag(levels[l].flags, name); f != nil {
					at, fl = l, f
				}
			}
			levels[at].args = append(levels[at].args, a)
			if fl != nil && !hasValue && takesValue(fl) && i+1 < len(args) {
				i++
				levels[at].args = append(levels[at].args, args[i])
			}
			continue
		}
		if !leaf {
			if cmd := lookupCommand(cmds, a); cmd != nil {
				levels = append(levels, &level{flags: append(append([]cli.Flag{}, cmd.Flags...), cli.HelpFlag), args: []string{a}})
				cmds = cmd.Subcommands
				continue
			}
			leaf = true
		}
		positional = append(positional, a)
	}
	out := []string{args[0]}
	for _, l := range levels {
		out = append(out, l.args...)
	}
	out = append(out, positional...)
	out = append(out, rest...)
	return append(out, tail...)
}

func lookupFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

func lookupCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// takesValue: every flag but a boolean one reads the next argument.
func takesValue(f cli.Flag) bool {
	if df, ok := f.(cli.DocGenerationFlag); ok {
		return df.TakesValue()
	}
	return true
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/faultline/faultline/internal/exitcode"
	"github.com/faultline/faultline/internal/lab"
	"github.com/urfave/cli/v2"
)

// labCommand wires `faultline lab up|down|status|inventory` (and the
// hidden `lab power`, the switch behind each lab BMC).
func labCommand() *cli.Command {
	return &cli.Command{
		Name:  "lab",
		Usage: "build, inspect or remove the bundled lab (namespaces, switches, libvirtd per hypervisor, VMs, SANs)",
		Subcommands: []*cli.Command{
			{
				Name:      "up",
				Usage:     "bring the lab up (default topology: the embedded seed); idempotent",
				ArgsUsage: "[TOPOLOGY.yaml]",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "guest", Usage: "directory with vmlinuz and initrd.img", Value: lab.DefaultGuestDir},
					&cli.DurationFlag{Name: "timeout", Usage: "how long to wait for every VM to serve", Value: 3 * time.Minute},
				},
				Action: labUp,
			},
			{
				Name:   "down",
				Usage:  "remove every namespace, link, bridge, daemon, VM, mount and file of the lab",
				Action: labDown,
			},
			{
				Name:   "inventory",
				Usage:  "print the lab as an Ansible inventory (YAML): groups hypervisors, sans, switches, clients; SSH over the management network",
				Action: labInventory,
			},
			{
				Name:      "power",
				Usage:     "a hypervisor's power switch, as its BMC works it: off kills its processes and cuts its uplinks, on boots it",
				ArgsUsage: "HYPERVISOR on|off|status",
				Hidden:    true,
				Action:    labPower,
			},
			{
				Name:  "status",
				Usage: "show nodes, links, hypervisors with their libvirt URIs, VMs and the lab's memory",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "json", Usage: "print JSON"},
				},
				Action: labStatus,
			},
		},
	}
}

func labContext(c *cli.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
}

func labUp(c *cli.Context) error {
	topo := lab.Seed()
	if c.Args().Len() > 1 {
		return cli.Exit("lab up takes at most one topology file", exitcode.Invalid)
	}
	if p := c.Args().First(); p != "" {
		t, err := lab.LoadTopology(p)
		if err != nil {
			return cli.Exit(err.Error(), exitcode.Invalid)
		}
		topo = t
	}
	ctx, cancel := labContext(c)
	defer cancel()
	s, err := lab.Up(ctx, topo, lab.Options{
		GuestDir:     c.String("guest"),
		ServeTimeout: c.Duration("timeout"),
		Progress:     c.App.ErrWriter,
	})
	if err != nil {
		return cli.Exit(fmt.Sprintf("lab up: %v", err), exitcode.Infra)
	}
	printLabStatus(c.App.Writer, s)
	fmt.Fprintf(c.App.Writer, "\nlab %q up: all VMs serving %.1fs after start\n", s.Topology, s.UpTime.Seconds())
	return nil
}

func labDown(c *cli.Context) error {
	ctx, cancel := labContext(c)
	defer cancel()
	res, err := lab.Down(ctx)
	if errors.Is(err, lab.ErrNoLab) {
		fmt.Fprintf(c.App.Writer, "lab down: %v\n", err)
		return nil
	}
	if res != nil {
		for _, s := range res.Skipped {
			fmt.Fprintf(c.App.ErrWriter, "left alone: %s\n", s)
		}
	}
	if err != nil {
		return cli.Exit(fmt.Sprintf("lab down: %v", err), exitcode.Infra)
	}
	fmt.Fprintf(c.App.Writer, "lab down: %d namespaces removed, %d processes ended\n", len(res.Removed), res.Killed)
	return nil
}

func labPower(c *cli.Context) error {
	if c.Args().Len() != 2 {
		return cli.Exit("lab power takes HYPERVISOR on|off|status", exitcode.Invalid)
	}
	ctx, cancel := labContext(c)
	defer cancel()
	st, err := lab.Power(ctx, c.Args().Get(0), c.Args().Get(1))
	if errors.Is(err, lab.ErrNoLab) {
		return cli.Exit(fmt.Sprintf("lab power: %v", err), exitcode.Invalid)
	}
	if err != nil {
		return cli.Exit(fmt.Sprintf("lab power: %v", err), exitcode.Infra)
	}
	fmt.Fprintf(c.App.Writer, "%s: power %s\n", c.Args().Get(0), st)
	return nil
}

func labInventory(c *cli.Context) error {
	inv, err := lab.Inventory()
	if errors.Is(err, lab.ErrNoLab) {
		return cli.Exit(fmt.Sprintf("lab inventory: %v", err), exitcode.Invalid)
	}
	if err != nil {
		return cli.Exit(fmt.Sprintf("lab inventory: %v", err), exitcode.Infra)
	}
	_, err = c.App.Writer.Write(inv)
	return err
}

func labStatus(c *cli.Context) error {
	s, err := lab.Status(c.Context)
	if err != nil {
		return cli.Exit(err.Error(), exitcode.Infra)
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	if s.Topology == "" {
		fmt.Fprintln(c.App.Writer, "no lab is up")
		return nil
	}
	printLabStatus(c.App.Writer, s)
	return nil
}

func printLabStatus(out io.Writer, s *lab.LabStatus) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	state := "up"
	if !s.Up {
		state = "DEGRADED or partly down"
	}
	fmt.Fprintf(w, "lab %s: %s\n\nNETNS\tKIND\tLINKS\n", s.Topology, state)
	for _, ns := range s.Namespaces {
		if !ns.Exists {
			fmt.Fprintf(w, "%s\t%s\tMISSING\n", ns.Name, ns.Kind)
			continue
		}
		var links []string
		for _, l := range ns.Links {
			d := l.Name
			if l.Master != "" {
				d += "@" + l.Master
			}
			if !l.Up {
				d += "(down)"
			} else if !l.Carrier {
				d += "(no-carrier)"
			}
			if len(l.Addresses) > 0 {
				d += "=" + strings.Join(l.Addresses, ",")
			}
			links = append(links, d)
		}
		sort.Strings(links)
		fmt.Fprintf(w, "%s\t%s\t%s\n", ns.Name, ns.Kind, strings.Join(links, " "))
	}
	fmt.Fprintf(w, "\nHYPERVISOR\tLIBVIRT URI\tDOMAINS\n")
	for _, h := range s.Hypervisors {
		d := fmt.Sprint(h.Domains)
		if !h.Answers {
			d = "NOT ANSWERING: " + h.Error
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", h.Name, h.URI, d)
	}
	fmt.Fprintf(w, "\nVM\tHYPERVISOR\tSTATE\tADDRESS\n")
	for _, v := range s.VMs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", v.Name, v.Hypervisor, v.State, v.Address)
	}
	if len(s.VIPs) > 0 {
		fmt.Fprintf(w, "\nVIP\t%s\n", strings.Join(s.VIPs, " "))
	}
	if m := s.Management; m != nil {
		fmt.Fprintf(w, "\nSSH\tip netns exec %s ssh -i %s -o UserKnownHostsFile=%s root@ADDRESS (%s; faultline lab inventory)\n",
			m.Netns, m.Key, m.KnownHosts, m.Subnet)
	}
	fmt.Fprintf(w, "\nmemory of the lab's %d processes: %.0f MiB\n", s.Processes, float64(s.MemoryBytes)/(1<<20))
	w.Flush()
}

package bmcfault

import (
	"context"
	"fmt"

	"github.com/bougou/go-ipmi/pkg/command/chassis"
)

// Actions of bmc.power and the chassis control each sends.
var actions = map[string]chassis.ChassisControl{
	"off":   chassis.ChassisControlPowerDown,
	"cycle": chassis.ChassisControlPowerCycle,
	"reset": chassis.ChassisControlHardReset,
	"soft":  chassis.ChassisControlSoftShutdown,
	// on powers a host up: the end of a runbook that left it off
	// (`revert: never`); its revert leaves it on.
	"on": chassis.ChassisControlPowerUp,
}

// withTimeout bounds one operation unless the caller's context is shorter.
func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, opTimeout)
}

// PowerState reads the chassis power state of a BMC: on is true when the
// host is powered. It opens and closes its own session (for the `bmc`
// probe and for preflights).
func PowerState(ctx context.Context, cfg Config) (on bool, err error) {
	if err := cfg.validate(); err != nil {
		return false, err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	s, err := open(ctx, cfg)
	if err != nil {
		return false, err
	}
	defer s.close(ctx)
	return s.powerState(ctx)
}

func (s *session) powerState(ctx context.Context) (bool, error) {
	st, err := s.c.GetChassisStatus(ctx)
	if err != nil {
		return false, s.wrap("get chassis status", err)
	}
	return st.PowerIsOn, nil
}

func (s *session) control(ctx context.Context, name string, ctl chassis.ChassisControl) error {
	if _, err := s.c.ChassisControl(ctx, ctl); err != nil {
		return s.wrap("chassis power "+name, err)
	}
	return nil
}

// control opens a session and sends one chassis control.
func control(ctx context.Context, cfg Config, name string) error {
	ctl, ok := actions[name]
	if !ok {
		return fmt.Errorf("bmc %s: unknown action %q", cfg.endpoint(), name)
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	s, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.close(ctx)
	return s.control(ctx, name, ctl)
}

// powerOn powers the host on unless it is on already (idempotent revert).
func powerOn(ctx context.Context, cfg Config) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	s, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.close(ctx)
	on, err := s.powerState(ctx)
	if err != nil {
		return err
	}
	if on {
		return nil
	}
	return s.control(ctx, "on", chassis.ChassisControlPowerUp)
}

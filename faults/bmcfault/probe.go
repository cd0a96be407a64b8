package bmcfault

import (
	"context"
	"time"

	"github.com/faultline/faultline/internal/probes"
)

func init() {
	probes.Register(probes.Kind{
		Name:         "bmc",
		Doc:          "a host's chassis power through its BMC (IPMI v2.0 lanplus); value = 1 on, 0 off; ok = the BMC answered",
		Value:        probes.ValueBool,
		Params:       ProbeParams{},
		DefaultEvery: time.Second,
		MinEvery:     100 * time.Millisecond,
		New:          newProbe,
	})
}

// ProbeParams are the parameters of a bmc probe; its namespace is the
// probe's own `netns`.
type ProbeParams struct {
	Address      string          `json:"address" required:"true" doc:"The BMC's IP address (a name is resolved outside the probe's netns)."`
	Port         int             `json:"port,omitempty" min:"1" max:"65535" default:"623"`
	User         string          `json:"user,omitempty"`
	PasswordFile string          `json:"passwordFile,omitempty" doc:"A file holding the password; or passwordEnv."`
	PasswordEnv  string          `json:"passwordEnv,omitempty" doc:"An environment variable holding the password; or passwordFile."`
	CipherSuite  int             `json:"cipherSuite,omitempty" doc:"RMCP+ cipher suite; default 17, then 3."`
	Timeout      probes.Duration `json:"timeout,omitempty" doc:"Per check; default the interval."`
	Host         string          `json:"host,omitempty" doc:"The host whose BMC this is (set from the probe's on:, which dials the BMC from this machine); for messages."`
}

// bmcProber reads the chassis power state. Each check opens and closes
// its own session, so a BMC that restarts is read again at the next one.
type bmcProber struct {
	host    string
	cfg     Config
	timeout time.Duration
}

func newProbe(d probes.Def) (probes.Prober, error) {
	var p ProbeParams
	if err := probes.DecodeParams(d.Params, &p); err != nil {
		return nil, err
	}
	if p.Address == "" {
		return nil, probes.Errorf("address", "missing: the BMC's address")
	}
	cfg := Config{
		Address: p.Address, Port: p.Port, User: p.User,
		PasswordFile: p.PasswordFile, PasswordEnv: p.PasswordEnv,
		Netns: d.Netns, CipherSuite: p.CipherSuite,
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &bmcProber{host: p.Host, cfg: cfg, timeout: probes.Timeout(d)}, nil
}

func (b *bmcProber) Check(ctx context.Context) probes.Sample {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	t0 := time.Now()
	on, err := PowerState(ctx, b.cfg)
	s := probes.Sample{Latency: time.Since(t0)}
	if err != nil {
		s.Detail = err.Error()
		return s
	}
	s.OK, s.Detail = true, "power off"
	if on {
		s.Value, s.Detail = 1, "power on"
	}
	return s
}

// Preflight reads the power state once: a wrong password or an
// unreachable BMC stops the plan before anything is injected.
func (b *bmcProber) Preflight(ctx context.Context) error {
	_, err := PowerState(ctx, b.cfg)
	return onHost(b.host, err)
}

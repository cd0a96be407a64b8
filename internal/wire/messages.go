package wire

import (
	"encoding/json"
	"fmt"

	"github.com/faultline/faultline/faults"
	"github.com/faultline/faultline/internal/probes"
)

// Message types. Requests carry an ID; the agent answers each with a
// reply of the same ID (Error set when it failed). Heartbeats, samples and
// notices flow without one.
const (
	THello      = "hello"       // both ways, first
	THeartbeat  = "heartbeat"   // controller → agent: renews the lease
	TBeatAck    = "beat-ack"    // agent → controller: echoes the heartbeat with the agent's clock
	TDefine     = "define"      // build a fault or action: description and targets
	TPreflight  = "preflight"   // check a step's targets without touching them
	TPrepare    = "prepare"     // snapshot, journal the undo record (fsync'd); reply carries it
	TInject     = "inject"      // inject a prepared fault
	TRevert     = "revert"      // revert a prepared fault (idempotent)
	TRevertRec  = "revert-undo" // revert from an undo record alone (controller-side recover)
	TRunAction  = "run-action"  // run an action once
	TStartProbe = "start-probe"
	TStopProbe  = "stop-probe"
	TSamples    = "samples"  // agent → controller: a batch of one probe's samples
	TNotice     = "notice"   // agent → controller: something the operator should know (lease lost, guard lost)
	TShutdown   = "shutdown" // controller → agent: revert what is held, end the journal, exit
	TReply      = "reply"
	TError      = "error" // a fatal error; the sender closes the stream after it
)

// Message is one frame. Only the fields of its type are set.
type Message struct {
	Type string `json:"type"`
	ID   uint64 `json:"id,omitempty"`

	Hello *Hello       `json:"hello,omitempty"`
	Beat  *Beat        `json:"beat,omitempty"`
	Step  *Step        `json:"step,omitempty"`
	Probe *Probe       `json:"probe,omitempty"`
	Batch *Batch       `json:"batch,omitempty"`
	Reply *Reply       `json:"reply,omitempty"`
	Undo  *faults.Undo `json:"undo,omitempty"`
	Text  string       `json:"text,omitempty"` // error and notice text
}

// Hello opens a session. The controller sends its side first; the agent
// answers with its own, or with an error when the versions differ.
type Hello struct {
	Proto  int    `json:"proto"`
	Binary string `json:"binary"` // faultline's version
	Role   string `json:"role"`   // controller | agent
	// Controller side: the run the agent journals under and its lease.
	Run        string `json:"run,omitempty"`
	Experiment string `json:"experiment,omitempty"`
	GuardTTL   int64  `json:"guardTTL,omitempty"` // ns
	// AllowLockout lets a fault cut the controller's own path to the
	// host (the lease then brings the host back).
	AllowLockout bool `json:"allowLockout,omitempty"`
	// Agent side.
	Host    string `json:"host,omitempty"`
	PID     int    `json:"pid,omitempty"`
	Journal string `json:"journal,omitempty"`
	// EpochWall is the agent's clock origin as wall time (Unix ns): a
	// controller on the same machine can check its offset estimate.
	EpochWall int64 `json:"epochWall,omitempty"`
	// EpochMono is the same origin on CLOCK_MONOTONIC (ns), which on one
	// machine is shared by every process: a spec's exact truth.
	EpochMono int64 `json:"epochMono,omitempty"`
}

// CheckHello compares a peer's hello with this end's versions.
func CheckHello(h *Hello, binary string) error {
	if h == nil {
		return fmt.Errorf("%w: the peer sent no hello", ErrVersion)
	}
	if h.Proto != Version {
		return fmt.Errorf("%w: protocol %d here, %d on the %s", ErrVersion, Version, h.Proto, h.Role)
	}
	if h.Binary != binary {
		return fmt.Errorf("%w: faultline %s here, %s on the %s", ErrVersion, binary, h.Binary, h.Role)
	}
	return nil
}

// Beat is a heartbeat and its echo. Sent is the controller's monotonic
// clock (ns since its origin) when it sent the beat; Agent is the agent's
// monotonic clock when it answered. Offsets are estimated from them.
type Beat struct {
	Seq   uint64 `json:"seq"`
	Sent  int64  `json:"sent"`
	Agent int64  `json:"agent,omitempty"`
}

// Step names one fault or action step on the agent.
type Step struct {
	Name       string          `json:"name"`
	Kind       string          `json:"kind,omitempty"`
	Params     json.RawMessage `json:"params,omitempty"`
	Run        string          `json:"run,omitempty"`
	Experiment string          `json:"experiment,omitempty"`
	Revert     string          `json:"revert,omitempty"` // auto | never
	// At arms an inject: the agent injects at this instant of its own
	// clock (ns since its epoch) rather than on receipt. 0: at once.
	At int64 `json:"at,omitempty"`
}

// Probe starts or stops a probe on the agent. Kind and Params are one
// probe kind of the experiment format (http, tcp, exec, libvirt) and its
// parameters; Every is the interval in ns.
type Probe struct {
	Name   string          `json:"name"`
	Kind   string          `json:"kind,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Every  int64           `json:"every,omitempty"`
	Netns  string          `json:"netns,omitempty"`
}

// Batch carries one probe's samples; Start is on the agent's clock.
type Batch struct {
	Probe   string          `json:"probe"`
	Samples []probes.Sample `json:"samples"`
}

// Reply answers a request.
type Reply struct {
	Error   string          `json:"error,omitempty"`
	Code    string          `json:"code,omitempty"` // not-found | not-supported | permission | untrusted
	Desc    string          `json:"desc,omitempty"`
	Targets []faults.Target `json:"targets,omitempty"`
	Undo    *faults.Undo    `json:"undo,omitempty"`
	Result  faults.Result   `json:"result,omitempty"`
	// Agent-clock stamps (ns since its origin) of an inject or revert.
	Start int64 `json:"start,omitempty"`
	Done  int64 `json:"done,omitempty"`
}

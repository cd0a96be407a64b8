package faults

// Scoped is implemented by faults that create named objects of their own
// (an nftables table): the engine calls SetScope with the run id and the
// step name when it plans the step, before Preflight and Prepare, so that
// the objects carry the run and step in their name and marker, and no two
// runs, or two steps of one run, ever share one.
type Scoped interface {
	SetScope(run, step string)
}

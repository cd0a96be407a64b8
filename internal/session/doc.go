// Package session is the one way faultline runs an experiment: it refuses
// to start while the machine is halted, locks the plan's targets, starts
// the guard that outlives a dead runner, runs the engine under a watch of
// the halt file, releases the guard and writes the reports. `faultline
// run`, `faultline inject` and every game-day experiment go through Run,
// so each of them is guarded, locked and stoppable the same way.
package session

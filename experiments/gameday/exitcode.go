package gameday

import "github.com/faultline/faultline/internal/exitcode"

// Worst returns the most severe of the exit codes (0 for none); the order
// lives in package exitcode.
func Worst(codes ...int) int { return exitcode.Worst(codes...) }

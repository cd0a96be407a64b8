package virtfault

import "errors"

// required is a `with` field a kind cannot do without: its name as the
// experiment spells it, and its value.
type required struct{ name, value string }

// missingFields returns one error per required field left empty, in order,
// so a bad step reports everything it lacks at once.
func missingFields(fields ...required) []error {
	var errs []error
	for _, f := range fields {
		if f.value == "" {
			errs = append(errs, errors.New(f.name+" is required"))
		}
	}
	return errs
}

package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// A Report travels from the agent to the server as JSON. OpError and
// Problem marshal their error as a message (and a Problem its class); these
// read them back, so that the server holds the same errors, errors.Is on a
// Problem's class included.

// UnmarshalJSON reads an OpError as MarshalJSON wrote it.
func (e *OpError) UnmarshalJSON(b []byte) error {
	type plain OpError
	var v struct {
		plain
		Message string `json:"message"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*e = OpError(v.plain)
	e.Err = errors.New(v.Message)
	return nil
}

// UnmarshalJSON reads a Problem as MarshalJSON wrote it.
func (p *Problem) UnmarshalJSON(b []byte) error {
	type plain Problem
	var v struct {
		plain
		Class   string `json:"class"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Problem(v.plain)
	// The message is Error(): the object, the cause, the class; keep the
	// cause so that Error() reads the same on both sides.
	prefix := Problem{PF: p.PF, VF: p.VF, Port: p.Port, Err: errors.New("")}.Error()
	msg := strings.TrimPrefix(v.Message, prefix)
	class := problemClasses()[v.Class]
	if class == nil {
		p.Err = errors.New(msg)
		return nil
	}
	p.Err = fmt.Errorf("%s: %w", strings.TrimSuffix(msg, ": "+class.Error()), class)
	return nil
}

//go:build exercises && !linux

package main

import "testing"

// forbidSelect does nothing here: only Linux has seccomp, with which a
// check proves that a server never calls select. The source check stands.
func forbidSelect(t *testing.T) {}

// interruptedWait runs nothing here: it finds the thread in its system
// call through Linux's /proc.
func interruptedWait(t *testing.T, name string) {}

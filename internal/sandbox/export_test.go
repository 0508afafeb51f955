package sandbox

// PID is moto's process id (and process group id), for lifecycle tests.
func (m *Moto) PID() int { return m.cmd.Process.Pid }

// Dir is moto's temporary directory, for lifecycle tests.
func (m *Moto) Dir() string { return m.dir }

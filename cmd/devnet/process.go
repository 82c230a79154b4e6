package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	cmttypes "github.com/cometbft/cometbft/types"
)

// nodeProcess is a CometBFT node (farold or spnd) the devnet runs as a child process
// with its output in home/node.log.
type nodeProcess struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	log  *os.File
}

// start runs `bin start --home home` in its own process group, so that Ctrl-C
// reaches it only through Stop, which waits for a clean shutdown. label prefixes
// the devnet's output line.
func (p *nodeProcess) start(label, bin, home string) (logPath string, err error) {
	logPath = filepath.Join(home, "node.log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return "", err
	}
	p.log = f
	p.cmd = exec.Command(bin, "start", "--home", home)
	p.cmd.Stdout = f
	p.cmd.Stderr = f
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return "", err
	}
	p.done = make(chan struct{})
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	logf("[%s] %s started (pid %d), log %s", label, filepath.Base(bin), p.cmd.Process.Pid, logPath)
	return logPath, nil
}

// waitServing polls the node's CometBFT RPC until it has made a block (60 s at most),
// failing early with the log's last lines if the process exits.
func (p *nodeProcess) waitServing(ctx context.Context, label, rpcAddr, logPath string) error {
	client, err := rpchttp.New(rpcAddr, "/websocket")
	if err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := client.Status(ctx)
		if err == nil && st.SyncInfo.LatestBlockHeight > 0 {
			logf("[%s] serving, chain %s at height %d", label, st.NodeInfo.Network, st.SyncInfo.LatestBlockHeight)
			return nil
		}
		select {
		case <-p.done:
			return errors.New(filepath.Base(p.cmd.Path) + " exited during start-up; last log lines:\n" + tail(logPath, 20))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("no block after 60s; last log lines:\n" + tail(logPath, 20))
		}
	}
}

// Stop sends SIGTERM and waits for the process to exit, killing it after timeout.
func (p *nodeProcess) Stop(timeout time.Duration) error {
	if p.cmd == nil || p.cmd.Process == nil {
		return nil
	}
	defer func() {
		if p.log != nil {
			p.log.Close()
		}
	}()
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within %s and was killed", filepath.Base(p.cmd.Path), timeout)
	}
}

// Done is closed when the process has exited.
func (p *nodeProcess) Done() <-chan struct{} { return p.done }

// watchBlocks calls f with every new block of the CometBFT node at rpcAddr, from its
// event stream, until ctx is done; label prefixes the error lines.
func watchBlocks(ctx context.Context, label, rpcAddr string, f func(*cmttypes.Block)) {
	client, err := rpchttp.New(rpcAddr, "/websocket")
	if err != nil {
		logf("[%s] watch: %v", label, err)
		return
	}
	if err := client.Start(); err != nil {
		logf("[%s] watch: %v", label, err)
		return
	}
	defer client.Stop() //nolint:errcheck
	events, err := client.Subscribe(ctx, "devnet", cmttypes.EventQueryNewBlock.String(), 100)
	if err != nil {
		logf("[%s] watch: %v", label, err)
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if data, ok := ev.Data.(cmttypes.EventDataNewBlock); ok && data.Block != nil {
				f(data.Block)
			}
		}
	}
}

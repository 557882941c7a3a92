// ExportVm and its HttpNfcLease, which vcsim 0.24 lacks: the lease starts "initializing" while each disk's
// current state (base + every delta) is converted to a streamOptimized VMDK, turns "ready" with one
// deviceUrl per disk ("https://*/nfc/<lease>/disk-N.vmdk", the client substitutes the host), and ends with
// HttpNfcLeaseComplete/Abort or, without HttpNfcLeaseProgress for info.leaseTimeout seconds, in "error".
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type exportLease struct {
	mo.HttpNfcLease

	mu           sync.Mutex
	dir          string
	files        map[string]string
	lastProgress time.Time
	fault        nfcFault
	nfc          *nfcService
	vmName       string
}

// nfcFault is a test control: cut downloads after AbortAfter bytes (0: never), serve at most
// BytesPerSecond (0: unthrottled), e.g. to outlast the lease timeout, and stay "initializing" for
// InitDelayMs before reading the disks (so a test can act between the export call and the read).
type nfcFault struct {
	AbortAfter     int64
	BytesPerSecond int64
	InitDelayMs    int64
}

var leaseSeq int64

type nfcService struct {
	mu     sync.Mutex
	leases map[string]*exportLease
	// all: every lease created, for the test control that lists them.
	all []*exportLease
	// Test control: VM name → the fault every later lease of that VM's disks gets.
	faults  map[string]nfcFault
	timeout int32
	tmpDir  string
}

func newNFC(tmpDir string, timeoutSeconds int32) *nfcService {
	if timeoutSeconds <= 0 {
		timeoutSeconds = 300
	}
	return &nfcService{leases: map[string]*exportLease{}, faults: map[string]nfcFault{}, timeout: timeoutSeconds, tmpDir: tmpDir}
}

// controllerName is the deviceUrl key part ESXi uses: "<ControllerType><bus>:<unit>".
func controllerName(devices []types.BaseVirtualDevice, disk *types.VirtualDisk) string {
	for _, d := range devices {
		if d.GetVirtualDevice().Key != disk.ControllerKey {
			continue
		}
		c, ok := d.(types.BaseVirtualController)
		if !ok {
			break
		}
		unit := int32(0)
		if disk.UnitNumber != nil {
			unit = *disk.UnitNumber
		}
		return fmt.Sprintf("%s%d:%d", reflect.TypeOf(d).Elem().Name(), c.GetVirtualController().BusNumber, unit)
	}
	return fmt.Sprintf("unknown:%d", disk.Key)
}

// exportVM answers ExportVm: the VM's current disks, which only a powered-off VM holds still.
func (b *builder) exportVM(vm *simulator.VirtualMachine) (types.ManagedObjectReference, types.BaseMethodFault) {
	if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
		return types.ManagedObjectReference{}, &types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOff, ExistingState: vm.Runtime.PowerState}
	}
	return b.export(vm, vm.Self, vm.Config.Hardware.Device)
}

// exportSnapshot answers ExportSnapshot: the disks as the snapshot froze them, from a VM that may be running.
func (b *builder) exportSnapshot(snap *simulator.VirtualMachineSnapshot) (types.ManagedObjectReference, types.BaseMethodFault) {
	vm, ok := simulator.Map.Get(snap.Vm).(*simulator.VirtualMachine)
	if !ok {
		return types.ManagedObjectReference{}, &types.ManagedObjectNotFound{Obj: snap.Vm}
	}
	return b.export(vm, snap.Self, snap.Config.Hardware.Device)
}

// export creates the lease and converts the devices' disks in the background.
func (b *builder) export(vm *simulator.VirtualMachine, entity types.ManagedObjectReference, devices []types.BaseVirtualDevice) (types.ManagedObjectReference, types.BaseMethodFault) {
	dir, err := os.MkdirTemp(b.nfc.tmpDir, "nfc-export-")
	if err != nil {
		return types.ManagedObjectReference{}, &types.FileFault{File: err.Error()}
	}
	lease := &exportLease{dir: dir, files: map[string]string{}, lastProgress: time.Now(), nfc: b.nfc}
	lease.State = types.HttpNfcLeaseStateInitializing
	// Named explicitly: vcsim would derive the type from the Go struct's name.
	lease.Self = types.ManagedObjectReference{Type: "HttpNfcLease", Value: fmt.Sprintf("nfclease-%d", atomic.AddInt64(&leaseSeq, 1))}
	simulator.Map.Put(lease)
	b.nfc.mu.Lock()
	b.nfc.leases[lease.Self.Value] = lease
	b.nfc.all = append(b.nfc.all, lease)
	lease.vmName = vm.Name
	lease.fault = b.nfc.faults[vm.Name]
	b.nfc.mu.Unlock()

	type job struct {
		src, srcFormat, targetID, key string
		capacityKB                    int64
	}
	var jobs []job
	for _, d := range devices {
		disk, ok := d.(*types.VirtualDisk)
		if !ok {
			continue
		}
		file, ok := disk.Backing.(types.BaseVirtualDeviceFileBackingInfo)
		if !ok {
			continue
		}
		name := file.GetVirtualDeviceFileBackingInfo().FileName
		local, err := b.localPath(name)
		if err != nil {
			return types.ManagedObjectReference{}, &types.FileFault{File: name}
		}
		src, srcFormat := local, "vmdk"
		if _, isRDM := disk.Backing.(*types.VirtualDiskRawDiskMappingVer1BackingInfo); isRDM {
			// ESXi exports a virtual-mode RDM's LUN as an ordinary disk; the harness keeps the "LUN" in a file.
			src, srcFormat = rdmLUN(local), "raw"
		}
		jobs = append(jobs, job{
			src:        src,
			srcFormat:  srcFormat,
			targetID:   fmt.Sprintf("disk-%d.vmdk", len(jobs)),
			key:        "/" + vm.Self.Value + "/" + controllerName(devices, disk),
			capacityKB: disk.CapacityInKB,
		})
	}
	go func() {
		time.Sleep(time.Duration(lease.fault.InitDelayMs) * time.Millisecond)
		info := &types.HttpNfcLeaseInfo{Lease: lease.Self, Entity: entity, LeaseTimeout: b.nfc.timeout}
		for _, j := range jobs {
			out := filepath.Join(dir, j.targetID)
			if _, err := qemu("qemu-img", "convert", "-f", j.srcFormat, "-O", "vmdk", "-o", "subformat=streamOptimized", j.src, out); err != nil {
				b.nfc.fail(lease, "converting "+j.src+": "+err.Error())
				return
			}
			st, _ := os.Stat(out)
			lease.mu.Lock()
			lease.files[j.targetID] = out
			lease.mu.Unlock()
			info.DeviceUrl = append(info.DeviceUrl, types.HttpNfcLeaseDeviceUrl{
				Key: j.key, ImportKey: j.key, TargetId: j.targetID, Disk: types.NewBool(true), FileSize: st.Size(),
				Url: "https://*/nfc/" + lease.Self.Value + "/" + j.targetID,
			})
			info.TotalDiskCapacityInKB += j.capacityKB
		}
		simulator.Map.WithLock(lease, func() {
			lease.lastProgress = time.Now()
			simulator.Map.Update(lease, []types.PropertyChange{{Name: "info", Val: info}, {Name: "state", Val: types.HttpNfcLeaseStateReady}})
		})
		b.nfc.watchTimeout(lease)
	}()
	return lease.Self, nil
}

type leaseSummary struct {
	Lease string `json:"lease"`
	VM    string `json:"vm"`
	State string `json:"state"`
	Error string `json:"error,omitempty"`
}

func (n *nfcService) list() []leaseSummary {
	n.mu.Lock()
	all := append([]*exportLease(nil), n.all...)
	n.mu.Unlock()
	out := []leaseSummary{}
	for _, l := range all {
		simulator.Map.WithLock(l, func() {
			s := leaseSummary{Lease: l.Self.Value, VM: l.vmName, State: string(l.State)}
			if l.Error != nil {
				s.Error = l.Error.LocalizedMessage
			}
			out = append(out, s)
		})
	}
	return out
}

func (n *nfcService) fail(lease *exportLease, msg string) {
	simulator.Map.WithLock(lease, func() {
		if lease.State == types.HttpNfcLeaseStateDone || lease.State == types.HttpNfcLeaseStateError {
			return
		}
		simulator.Map.Update(lease, []types.PropertyChange{
			{Name: "error", Val: &types.LocalizedMethodFault{Fault: &types.SystemError{Reason: msg}, LocalizedMessage: msg}},
			{Name: "state", Val: types.HttpNfcLeaseStateError},
		})
	})
	n.release(lease)
}

func (n *nfcService) release(lease *exportLease) {
	n.mu.Lock()
	delete(n.leases, lease.Self.Value)
	n.mu.Unlock()
	_ = os.RemoveAll(lease.dir)
}

func (n *nfcService) watchTimeout(lease *exportLease) {
	for {
		time.Sleep(500 * time.Millisecond)
		var idle time.Duration
		var state types.HttpNfcLeaseState
		simulator.Map.WithLock(lease, func() {
			idle = time.Since(lease.lastProgress)
			state = lease.State
		})
		if state != types.HttpNfcLeaseStateReady {
			return
		}
		if idle > time.Duration(n.timeout)*time.Second {
			n.fail(lease, fmt.Sprintf("lease timed out: no HttpNfcLeaseProgress for %d s", n.timeout))
			return
		}
	}
}

// serve answers GET /nfc/<lease>/<targetId> for the harness's leases; false when the lease is not one of them.
func (n *nfcService) serve(w http.ResponseWriter, r *http.Request) bool {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/nfc/"), "/")
	if len(parts) != 2 {
		return false
	}
	n.mu.Lock()
	lease := n.leases[parts[0]]
	n.mu.Unlock()
	if lease == nil {
		return false
	}
	lease.mu.Lock()
	file := lease.files[parts[1]]
	lease.mu.Unlock()
	if r.Method != http.MethodGet || file == "" {
		http.NotFound(w, r)
		return true
	}
	f, err := os.Open(file)
	if err != nil {
		http.NotFound(w, r)
		return true
	}
	defer f.Close()
	st, _ := f.Stat()
	w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	w.Header().Set("Content-Type", "application/octet-stream")
	buf := make([]byte, 64<<10)
	var sent int64
	for {
		if lease.fault.AbortAfter > 0 && sent >= lease.fault.AbortAfter {
			n.fail(lease, fmt.Sprintf("lease aborted by the harness after %d bytes of %s", sent, parts[1]))
			panic(http.ErrAbortHandler)
		}
		want := int64(len(buf))
		if lease.fault.AbortAfter > 0 && lease.fault.AbortAfter-sent < want {
			want = lease.fault.AbortAfter - sent
		}
		k, err := f.Read(buf[:want])
		if k > 0 {
			// A lease that ended (timed out, aborted) stops serving mid-stream, as ESXi does.
			var state types.HttpNfcLeaseState
			simulator.Map.WithLock(lease, func() { state = lease.State })
			if state != types.HttpNfcLeaseStateReady {
				log.Printf("nfc: lease %s is %s; cutting %s after %d bytes", lease.Self.Value, state, file, sent)
				panic(http.ErrAbortHandler)
			}
			if _, werr := w.Write(buf[:k]); werr != nil {
				return true
			}
			sent += int64(k)
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
			// The last byte is out: the client may complete the lease now, which must not cut this response.
			if sent == st.Size() {
				return true
			}
			if lease.fault.BytesPerSecond > 0 {
				time.Sleep(time.Duration(int64(k) * int64(time.Second) / lease.fault.BytesPerSecond))
			}
		}
		if err == io.EOF {
			return true
		}
		if err != nil {
			panic(http.ErrAbortHandler)
		}
	}
}

func (l *exportLease) HttpNfcLeaseProgress(req *types.HttpNfcLeaseProgress) soap.HasFault {
	if l.State != types.HttpNfcLeaseStateReady {
		return &methods.HttpNfcLeaseProgressBody{Fault_: simulator.Fault("lease is "+string(l.State), &types.InvalidState{})}
	}
	l.lastProgress = time.Now()
	l.TransferProgress = req.Percent
	return &methods.HttpNfcLeaseProgressBody{Res: new(types.HttpNfcLeaseProgressResponse)}
}

func (l *exportLease) HttpNfcLeaseComplete(req *types.HttpNfcLeaseComplete) soap.HasFault {
	if l.State != types.HttpNfcLeaseStateReady {
		return &methods.HttpNfcLeaseCompleteBody{Fault_: simulator.Fault("lease is "+string(l.State), &types.InvalidState{})}
	}
	simulator.Map.Update(l, []types.PropertyChange{{Name: "state", Val: types.HttpNfcLeaseStateDone}})
	go l.nfc.release(l)
	return &methods.HttpNfcLeaseCompleteBody{Res: new(types.HttpNfcLeaseCompleteResponse)}
}

func (l *exportLease) HttpNfcLeaseAbort(req *types.HttpNfcLeaseAbort) soap.HasFault {
	if l.State == types.HttpNfcLeaseStateReady || l.State == types.HttpNfcLeaseStateInitializing {
		msg := "aborted by the client"
		simulator.Map.Update(l, []types.PropertyChange{
			{Name: "error", Val: &types.LocalizedMethodFault{Fault: &types.RequestCanceled{}, LocalizedMessage: msg}},
			{Name: "state", Val: types.HttpNfcLeaseStateError},
		})
		go l.nfc.release(l)
	}
	return &methods.HttpNfcLeaseAbortBody{Res: new(types.HttpNfcLeaseAbortResponse)}
}

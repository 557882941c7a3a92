// Changed-block tracking as ESXi does it, for the writes the harness makes (guest writes through the test
// control): while a VM's config.changeTrackingEnabled is true (vcsim applies ReconfigVM_Task's
// changeTrackingEnabled itself), every write is recorded as changed 64 KiB blocks of its disk in the current
// epoch; each snapshot closes the epoch and names it in every frozen disk's backing.changeId
// ("<tracking id>/<epoch>"); QueryChangedDiskAreas(snapshot, deviceKey, startOffset, changeId) answers the
// blocks written after changeId up to the snapshot, and changeId "*" the allocated areas of the snapshot's
// disk (as ESXi does for thin disks). Without a snapshot it answers for the VM's current disks, and only while
// the VM is powered off (as ESXi: "using the current snapshot will only work for virtual machines that are
// powered off"). Turning tracking off (or on again) starts a new tracking id, so a
// changeId from before is refused, as ESXi refuses one from another tracking session.
package main

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// cbtBlockBytes is the tracking granularity: a write marks every 64 KiB block it touches as changed.
const cbtBlockBytes = 64 * 1024

type extent struct{ start, end int64 }

type vmTracking struct {
	id    string
	epoch int
	// written[diskKey][epoch]: blocks changed in that epoch.
	written map[int32]map[int][]extent
	// snapshots: snapshot moref value -> the epoch it closed.
	snapshots map[string]int
}

type cbtState struct {
	mu   sync.Mutex
	vms  map[string]*vmTracking
	next int
	// misreport: VMs (moref values) whose "*" answers leave out the last allocated area — a test fault, as ESXi's
	// CBT defects did (areas beyond 128 GB after a disk was extended, VMware KB 2090639).
	misreport map[string]bool
}

func newCBT() *cbtState {
	return &cbtState{vms: map[string]*vmTracking{}, misreport: map[string]bool{}}
}

func trackingEnabled(vm *simulator.VirtualMachine) bool {
	var on bool
	simulator.Map.WithLock(vm, func() { on = vm.Config.ChangeTrackingEnabled != nil && *vm.Config.ChangeTrackingEnabled })
	return on
}

// sync starts or ends tracking to follow the VM's configuration (after ReconfigVM_Task).
func (c *cbtState) sync(vm *simulator.VirtualMachine) {
	on := trackingEnabled(vm)
	c.mu.Lock()
	defer c.mu.Unlock()
	_, tracked := c.vms[vm.Self.Value]
	switch {
	case on && !tracked:
		c.vms[vm.Self.Value] = c.newTracking(vm)
	case !on && tracked:
		delete(c.vms, vm.Self.Value)
	}
}

// newTracking starts a tracking session with its own id (callers hold c.mu).
func (c *cbtState) newTracking(vm *simulator.VirtualMachine) *vmTracking {
	c.next++
	return &vmTracking{
		id:        fmt.Sprintf("52 1f 00 00 00 00 00 %02x-%s", c.next%256, vm.Self.Value),
		written:   map[int32]map[int][]extent{},
		snapshots: map[string]int{},
	}
}

// reset starts a new tracking session for a tracked VM, as ESXi resets CBT when someone else consolidates the
// VM's snapshot chain, moves its disks, or switches tracking off and on: every changeId issued before is refused
// from then on (QueryChangedDiskAreas answers a FileFault), and only "*" or a later snapshot's changeId work.
func (c *cbtState) reset(vm *simulator.VirtualMachine) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.vms[vm.Self.Value] == nil {
		return fmt.Errorf("changed block tracking is not enabled on VM %s; nothing to reset", vm.Name)
	}
	c.vms[vm.Self.Value] = c.newTracking(vm)
	return nil
}

// recordWrite marks the blocks [offset, offset+length) touches as changed in the current epoch.
func (c *cbtState) recordWrite(vm *simulator.VirtualMachine, key int32, offset, length int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.vms[vm.Self.Value]
	if t == nil {
		return
	}
	start := offset / cbtBlockBytes * cbtBlockBytes
	end := (offset + length + cbtBlockBytes - 1) / cbtBlockBytes * cbtBlockBytes
	if t.written[key] == nil {
		t.written[key] = map[int][]extent{}
	}
	t.written[key][t.epoch] = append(t.written[key][t.epoch], extent{start, end})
}

// closeEpoch records that the snapshot froze the current epoch and names it in the snapshot's disks.
func (c *cbtState) closeEpoch(vm *simulator.VirtualMachine, snap string) {
	c.mu.Lock()
	t := c.vms[vm.Self.Value]
	if t != nil {
		t.snapshots[snap] = t.epoch
		t.epoch++
	}
	c.mu.Unlock()
	c.label(vm)
}

// label writes each snapshot's changeId into its frozen disk backings (again after a consolidation relinked them).
func (c *cbtState) label(vm *simulator.VirtualMachine) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.vms[vm.Self.Value]
	if t == nil {
		return
	}
	simulator.Map.WithLock(vm, func() {
		for _, s := range snapshotsOf(vm) {
			epoch, ok := t.snapshots[s.Self.Value]
			if !ok {
				continue
			}
			for _, d := range s.Config.Hardware.Device {
				if disk, fb := flatBacking(d); disk != nil {
					fb.ChangeId = fmt.Sprintf("%s/%d", t.id, epoch)
				}
			}
		}
	})
}

var (
	cbtSnapshotRe  = regexp.MustCompile(`<(?:\w+:)?snapshot[^>]*>([^<]+)<`)
	cbtDeviceKeyRe = regexp.MustCompile(`<(?:\w+:)?deviceKey[^>]*>(-?\d+)<`)
	cbtStartRe     = regexp.MustCompile(`<(?:\w+:)?startOffset[^>]*>(\d+)<`)
	cbtChangeIDRe  = regexp.MustCompile(`<(?:\w+:)?changeId[^>]*>([^<]*)<`)
)

func field(re *regexp.Regexp, body []byte) string {
	if m := re.FindSubmatch(body); m != nil {
		return strings.TrimSpace(string(m[1]))
	}
	return ""
}

// queryChangedDiskAreas answers QueryChangedDiskAreas for the VM `this`.
func (b *builder) queryChangedDiskAreas(w http.ResponseWriter, body []byte, this string) {
	vm, ok := vmByRef(this)
	if !ok {
		writeFault(w, "VirtualMachine "+this+" not found", "ManagedObjectNotFound")
		return
	}
	snapID := field(cbtSnapshotRe, body)
	key, _ := strconv.Atoi(field(cbtDeviceKeyRe, body))
	start, _ := strconv.ParseInt(field(cbtStartRe, body), 10, 64)
	changeID := field(cbtChangeIDRe, body)
	// Without a snapshot ESXi answers for the VM's current disks, which only holds still while it is off.
	var devices []types.BaseVirtualDevice
	point := ""
	if snapID == "" {
		if state := powerState(vm); state != types.VirtualMachinePowerStatePoweredOff {
			writeFault(w, fmt.Sprintf("QueryChangedDiskAreas without a snapshot: VM %s is %s; a running VM's changes are queried against a snapshot", vm.Name, state), "InvalidPowerState")
			return
		}
		devices = currentDevices(vm)
	} else {
		snap, ok := simulator.Map.Get(types.ManagedObjectReference{Type: "VirtualMachineSnapshot", Value: snapID}).(*simulator.VirtualMachineSnapshot)
		if !ok {
			writeFault(w, "QueryChangedDiskAreas: snapshot "+snapID+" not found (a running VM's changes are queried against a snapshot)", "InvalidArgument")
			return
		}
		devices, point = snap.Config.Hardware.Device, snap.Self.Value
	}
	var capacity int64
	var backing *types.VirtualDiskFlatVer2BackingInfo
	for _, d := range devices {
		if disk, fb := flatBacking(d); disk != nil && disk.Key == int32(key) {
			capacity, backing = disk.CapacityInKB*1024, fb
		}
	}
	if backing == nil {
		writeFault(w, fmt.Sprintf("QueryChangedDiskAreas: VM %s has no disk with device key %d (snapshot %q)", vm.Name, key, snapID), "InvalidArgument")
		return
	}
	areas, err := b.cbt.changedAreas(vm, point, int32(key), changeID, func() ([]extent, error) { return b.allocatedAreas(backing, capacity) })
	if err != nil {
		writeFault(w, "QueryChangedDiskAreas: "+err.Error(), "FileFault")
		return
	}
	var sb strings.Builder
	for _, a := range areas {
		if a.end <= start {
			continue
		}
		from := maxI64(a.start, start)
		fmt.Fprintf(&sb, `<changedArea><start>%d</start><length>%d</length></changedArea>`, from, a.end-from)
	}
	writeSOAP(w, http.StatusOK, fmt.Sprintf(`<QueryChangedDiskAreasResponse xmlns="urn:vim25"><returnval><startOffset>%d</startOffset><length>%d</length>%s</returnval></QueryChangedDiskAreasResponse>`,
		start, maxI64(capacity-start, 0), sb.String()))
}

// changedAreas: the blocks written after changeID up to the snapshot's epoch (snap "": up to now, the current
// epoch included), or allocated() for "*".
func (c *cbtState) changedAreas(vm *simulator.VirtualMachine, snap string, key int32, changeID string, allocated func() ([]extent, error)) ([]extent, error) {
	c.mu.Lock()
	t := c.vms[vm.Self.Value]
	var upTo int
	var known bool
	if t != nil && snap == "" {
		upTo, known = t.epoch, true
	} else if t != nil {
		upTo, known = t.snapshots[snap]
	}
	c.mu.Unlock()
	if t == nil {
		return nil, fmt.Errorf("changed block tracking is not enabled on VM %s", vm.Self.Value)
	}
	if !known {
		return nil, fmt.Errorf("snapshot %s was taken while changed block tracking was off", snap)
	}
	if changeID == "*" {
		areas, err := allocated()
		c.mu.Lock()
		hide := c.misreport[vm.Self.Value]
		c.mu.Unlock()
		if hide && len(areas) > 0 {
			areas = areas[:len(areas)-1]
		}
		return areas, err
	}
	i := strings.LastIndex(changeID, "/")
	since, err := strconv.Atoi(changeID[i+1:])
	if i < 0 || err != nil || changeID[:i] != t.id || since > upTo {
		return nil, fmt.Errorf("changeId %q does not belong to this disk's tracking session %q (up to epoch %d); start again from changeId \"*\"", changeID, t.id, upTo)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var all []extent
	for e := since + 1; e <= upTo; e++ {
		all = append(all, t.written[key][e]...)
	}
	return mergeExtents(all), nil
}

func mergeExtents(in []extent) []extent {
	sort.Slice(in, func(i, j int) bool { return in[i].start < in[j].start })
	var out []extent
	for _, e := range in {
		if n := len(out); n > 0 && e.start <= out[n-1].end {
			out[n-1].end = maxI64(out[n-1].end, e.end)
			continue
		}
		out = append(out, e)
	}
	return out
}

// allocatedAreas: what the frozen chain stores — data regions of a flat extent (holes of a thin disk are not
// allocated), the grains of each vmfsSparse delta; a layer of any other format counts as wholly allocated.
func (b *builder) allocatedAreas(top *types.VirtualDiskFlatVer2BackingInfo, capacity int64) ([]extent, error) {
	var all []extent
	for _, layer := range chainOf(top) {
		desc, err := b.localPath(layer.FileName)
		if err != nil {
			return nil, err
		}
		if cowd := cowdExtent(desc); cowd != "" {
			runs, err := cowdAllocated(cowd)
			if err != nil {
				return nil, err
			}
			for _, r := range runs {
				all = append(all, extent{r.offset, r.offset + int64(len(r.data))})
			}
			continue
		}
		flat := strings.TrimSuffix(desc, ".vmdk") + "-flat.vmdk"
		data, err := dataRegions(flat, capacity)
		if err != nil {
			all = append(all, extent{0, capacity})
			continue
		}
		all = append(all, data...)
	}
	merged := mergeExtents(all)
	for i := range merged {
		merged[i].start = merged[i].start / cbtBlockBytes * cbtBlockBytes
		merged[i].end = minI64((merged[i].end+cbtBlockBytes-1)/cbtBlockBytes*cbtBlockBytes, capacity)
	}
	return mergeExtents(merged), nil
}

// dataRegions lists a file's data (non-hole) regions with SEEK_DATA/SEEK_HOLE, capped at limit.
func dataRegions(path string, limit int64) ([]extent, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	const seekData, seekHole = 3, 4
	var out []extent
	for off := int64(0); off < limit; {
		start, err := f.Seek(off, seekData)
		if err != nil {
			if err == syscall.ENXIO || strings.Contains(err.Error(), "no such device or address") {
				break
			}
			return nil, err
		}
		end, err := f.Seek(start, seekHole)
		if err != nil {
			return nil, err
		}
		if start >= limit {
			break
		}
		out = append(out, extent{start, minI64(end, limit)})
		off = end
	}
	return out, nil
}

func maxI64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func minI64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

// currentDevices is a copy of the VM's device list as it stands (what its disks read now).
func currentDevices(vm *simulator.VirtualMachine) []types.BaseVirtualDevice {
	var devices []types.BaseVirtualDevice
	simulator.Map.WithLock(vm, func() { devices = append(devices, vm.Config.Hardware.Device...) })
	return devices
}

func powerState(vm *simulator.VirtualMachine) types.VirtualMachinePowerState {
	var state types.VirtualMachinePowerState
	simulator.Map.WithLock(vm, func() { state = vm.Runtime.PowerState })
	return state
}

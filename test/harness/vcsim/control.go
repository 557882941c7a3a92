// The harness's own HTTP surface in front of vcsim: SOAP methods it completes (CreateSnapshot_Task,
// RemoveSnapshot_Task) or adds (ExportVm), and test controls under /harness/ (guest writes, snapshots,
// NFC faults). Nothing here patches govmomi: requests are inspected before and after vcsim answers them.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

var (
	soapMethodRe = regexp.MustCompile(`<(?:\w+:)?Body[^>]*>\s*<(?:\w+:)?(\w+)[\s>]`)
	soapThisRe   = regexp.MustCompile(`<(?:\w+:)?_this[^>]*>([^<]+)<`)
)

func (b *builder) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/harness/"):
			b.control(w, r)
			return
		case strings.HasPrefix(r.URL.Path, "/nfc/") && b.nfc.serve(w, r):
			return
		case strings.HasPrefix(r.URL.Path, "/folder/") && r.Method == http.MethodGet:
			b.served.serve(w, r, next)
			return
		case r.URL.Path != "/sdk" || r.Method != http.MethodPost:
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		method, this := "", ""
		if m := soapMethodRe.FindSubmatch(body); m != nil {
			method = string(m[1])
		}
		if m := soapThisRe.FindSubmatch(body); m != nil {
			this = strings.TrimSpace(string(m[1]))
		}
		switch method {
		case "CreateSnapshot_Task":
			b.afterSnapshot(w, r, next, this)
		case "RemoveSnapshot_Task":
			b.removeSnapshot(w, r, next, this)
		case "ExportVm", "ExportSnapshot":
			b.serveExport(w, r, next, method, this)
		case "ReconfigVM_Task":
			next.ServeHTTP(w, r)
			if vm, ok := vmByRef(this); ok {
				b.cbt.sync(vm)
			}
		case "QueryChangedDiskAreas":
			// vcsim lacks the method: its MethodNotFound proves the session and the object, as for ExportVm.
			probe := httptest.NewRecorder()
			next.ServeHTTP(probe, r)
			if !bytes.Contains(probe.Body.Bytes(), []byte("MethodNotFound")) {
				copyRecorded(w, probe)
				return
			}
			b.queryChangedDiskAreas(w, body, this)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func vmByRef(value string) (*simulator.VirtualMachine, bool) {
	vm, ok := simulator.Map.Get(types.ManagedObjectReference{Type: "VirtualMachine", Value: value}).(*simulator.VirtualMachine)
	return vm, ok
}

// afterSnapshot lets vcsim record the snapshot (its task runs to completion within the call), then switches
// the VM's disks to deltas before the client can see the task's result.
func (b *builder) afterSnapshot(w http.ResponseWriter, r *http.Request, next http.Handler, this string) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	if vm, ok := vmByRef(this); ok && rec.Code == http.StatusOK {
		if err := b.switchToDeltas(vm); err != nil {
			log.Printf("snapshot of %s: %v", this, err)
			writeFault(w, "creating delta disks: "+err.Error(), "FileFault")
			return
		}
		b.refreshDiskLayout(vm)
		var current string
		simulator.Map.WithLock(vm, func() {
			if vm.Snapshot != nil && vm.Snapshot.CurrentSnapshot != nil {
				current = vm.Snapshot.CurrentSnapshot.Value
			}
		})
		if current != "" {
			b.cbt.closeEpoch(vm, current)
		}
	}
	copyRecorded(w, rec)
}

func (b *builder) removeSnapshot(w http.ResponseWriter, r *http.Request, next http.Handler, this string) {
	snap, ok := simulator.Map.Get(types.ManagedObjectReference{Type: "VirtualMachineSnapshot", Value: this}).(*simulator.VirtualMachineSnapshot)
	if ok {
		if err := b.consolidate(snap); err != nil {
			log.Printf("consolidate %s: %v", this, err)
			writeFault(w, "consolidating disks: "+err.Error(), "FileFault")
			return
		}
	}
	next.ServeHTTP(w, r)
	if ok {
		if vm, found := vmByRef(snap.Vm.Value); found {
			b.refreshDiskLayout(vm)
			b.cbt.label(vm)
		}
	}
}

// serveExport first lets vcsim answer: it lacks ExportVm and ExportSnapshot, so its "MethodNotFound" proves
// the session is valid and the object exists (vcsim checks both before looking for the method), with its own
// faults otherwise.
func (b *builder) serveExport(w http.ResponseWriter, r *http.Request, next http.Handler, method, this string) {
	probe := httptest.NewRecorder()
	next.ServeHTTP(probe, r)
	if !bytes.Contains(probe.Body.Bytes(), []byte("MethodNotFound")) {
		copyRecorded(w, probe)
		return
	}
	var ref types.ManagedObjectReference
	var fault types.BaseMethodFault
	if method == "ExportVm" {
		vm, _ := vmByRef(this)
		simulator.Map.WithLock(vm, func() { ref, fault = b.exportVM(vm) })
	} else {
		snap, _ := simulator.Map.Get(types.ManagedObjectReference{Type: "VirtualMachineSnapshot", Value: this}).(*simulator.VirtualMachineSnapshot)
		ref, fault = b.exportSnapshot(snap)
	}
	if fault != nil {
		writeFault(w, fmt.Sprintf("%s %s: %T", method, this, fault), strings.TrimPrefix(fmt.Sprintf("%T", fault), "*types."))
		return
	}
	writeSOAP(w, http.StatusOK, fmt.Sprintf(`<%sResponse xmlns="urn:vim25"><returnval type="HttpNfcLease">%s</returnval></%sResponse>`, method, ref.Value, method))
}

func copyRecorded(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func writeSOAP(w http.ResponseWriter, status int, inner string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" `+
		`xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>%s</soapenv:Body></soapenv:Envelope>`, inner)
}

func writeFault(w http.ResponseWriter, msg, faultType string) {
	var esc bytes.Buffer
	_ = xml.EscapeText(&esc, []byte(msg))
	writeSOAP(w, http.StatusInternalServerError, fmt.Sprintf(
		`<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>%s</faultstring><detail><%sFault xmlns="urn:vim25" xsi:type="%s"></%sFault></detail></soapenv:Fault>`,
		esc.String(), faultType, faultType, faultType))
}

var (
	writeRe     = regexp.MustCompile(`^/harness/vms/([^/]+)/disks/(\d+)/write$`)
	snapshotRe  = regexp.MustCompile(`^/harness/vms/([^/]+)/snapshots$`)
	cbtResetRe  = regexp.MustCompile(`^/harness/vms/([^/]+)/cbt-reset$`)
	misreportRe = regexp.MustCompile(`^/harness/vms/([^/]+)/cbt-misreport$`)
	nfcFaultRe  = regexp.MustCompile(`^/harness/vms/([^/]+)/nfc-fault$`)
)

// control serves the test controls:
//
//	GET  /harness/nfc/leases                              every export lease so far: [{"lease","vm","state","error"}]
//	GET  /harness/datastore/served                        bytes the datastore file API sent so far, by URL path
//	POST /harness/vms/{name}/disks/{key}/write?offset=N   body: bytes the guest writes into its current disk layer
//	                                                      (recorded as changed blocks when the VM tracks changes, cbt.go)
//	POST /harness/vms/{name}/snapshots?name=S            takes a snapshot through the SOAP API (answers {"snapshot": "snapshot-N"})
//	POST /harness/vms/{name}/cbt-misreport               QueryChangedDiskAreas "*" leaves out the VM's last allocated area
//	POST /harness/vms/{name}/nfc-fault?abortAfterBytes=N&bytesPerSecond=R&initDelayMs=D
//	                                                      later NFC downloads of the VM's disks are cut after N bytes
//	                                                      (failing the lease) and/or throttled to R bytes/s, and its
//	                                                      leases read the disks only D ms after the export call (0: off)
func (b *builder) control(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/harness/nfc/leases" {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(b.nfc.list())
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/harness/datastore/served" {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(b.served.snapshot())
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	p, _ := url.PathUnescape(r.URL.Path)
	var err error
	var answer any = map[string]string{"status": "ok"}
	switch {
	case writeRe.MatchString(p):
		m := writeRe.FindStringSubmatch(p)
		err = b.guestWrite(m[1], m[2], r)
	case snapshotRe.MatchString(p):
		var snap string
		snap, err = b.takeSnapshot(r.Context(), snapshotRe.FindStringSubmatch(p)[1], r.URL.Query().Get("name"))
		answer = map[string]string{"snapshot": snap}
	case cbtResetRe.MatchString(p):
		var vm *simulator.VirtualMachine
		if vm, err = vmByName(cbtResetRe.FindStringSubmatch(p)[1]); err == nil {
			err = b.cbt.reset(vm)
		}
	case misreportRe.MatchString(p):
		var vm *simulator.VirtualMachine
		if vm, err = vmByName(misreportRe.FindStringSubmatch(p)[1]); err == nil {
			b.cbt.mu.Lock()
			b.cbt.misreport[vm.Self.Value] = true
			b.cbt.mu.Unlock()
		}
	case nfcFaultRe.MatchString(p):
		var f nfcFault
		for name, dst := range map[string]*int64{"abortAfterBytes": &f.AbortAfter, "bytesPerSecond": &f.BytesPerSecond, "initDelayMs": &f.InitDelayMs} {
			if v := r.URL.Query().Get(name); v != "" {
				if *dst, err = strconv.ParseInt(v, 10, 64); err != nil {
					err = fmt.Errorf("%s %q: want a number of bytes", name, v)
				}
			}
		}
		if err != nil {
			break
		}
		b.nfc.mu.Lock()
		b.nfc.faults[nfcFaultRe.FindStringSubmatch(p)[1]] = f
		b.nfc.mu.Unlock()
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(answer)
}

func vmByName(name string) (*simulator.VirtualMachine, error) {
	for _, o := range simulator.Map.All("VirtualMachine") {
		if vm, ok := o.(*simulator.VirtualMachine); ok && vm.Name == name {
			return vm, nil
		}
	}
	return nil, fmt.Errorf("no VM named %q", name)
}

// guestWrite writes the request body into the VM's current (top) disk layer at ?offset=, as the guest would.
func (b *builder) guestWrite(vmName, keyText string, r *http.Request) error {
	vm, err := vmByName(vmName)
	if err != nil {
		return err
	}
	offset, err := strconv.ParseInt(r.URL.Query().Get("offset"), 10, 64)
	if err != nil || offset < 0 {
		return fmt.Errorf("offset %q: want a byte offset >= 0", r.URL.Query().Get("offset"))
	}
	key, _ := strconv.Atoi(keyText)
	var top string
	simulator.Map.WithLock(vm, func() {
		for _, d := range vm.Config.Hardware.Device {
			if disk, fb := flatBacking(d); disk != nil && disk.Key == int32(key) {
				top = fb.FileName
			}
		}
	})
	if top == "" {
		return fmt.Errorf("VM %q has no disk with key %d", vmName, key)
	}
	local, err := b.localPath(top)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(r.Body)
	if err != nil || len(data) == 0 {
		return fmt.Errorf("body: want the bytes to write (%v)", err)
	}
	if err := writeLayer(local, offset, data, b.nfc.tmpDir); err != nil {
		return err
	}
	b.cbt.recordWrite(vm, int32(key), offset, int64(len(data)))
	return nil
}

func (b *builder) takeSnapshot(ctx context.Context, vmName, name string) (string, error) {
	client, err := govmomi.NewClient(ctx, b.serverURL, true)
	if err != nil {
		return "", err
	}
	defer client.Logout(ctx)
	vm, err := vmByName(vmName)
	if err != nil {
		return "", err
	}
	if name == "" {
		name = "harness"
	}
	task, err := object.NewVirtualMachine(client.Client, vm.Self).CreateSnapshot(ctx, name, "", false, false)
	if err != nil {
		return "", err
	}
	info, err := task.WaitForResult(ctx, nil)
	if err != nil {
		return "", err
	}
	return info.Result.(types.ManagedObjectReference).Value, nil
}

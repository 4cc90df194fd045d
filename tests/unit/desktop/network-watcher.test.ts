import type os from 'node:os';
import { describe, expect, it } from 'vitest';
import { NetworkWatcher, addressFingerprint } from '../../../src/main/node/network-watcher.js';

const lo: os.NetworkInterfaceInfo = { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' };
const wifi = (address: string): os.NetworkInterfaceInfo => ({ address, netmask: '255.255.255.0', family: 'IPv4', mac: 'aa:bb:cc:dd:ee:ff', internal: false, cidr: `${address}/24` });
const linkLocal: os.NetworkInterfaceInfo = { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: 'aa:bb:cc:dd:ee:ff', internal: false, cidr: 'fe80::1/64', scopeid: 2 };

describe('network watcher', () => {
  it('fingerprints usable addresses only', () => {
    expect(addressFingerprint({ lo: [lo] })).toBe('');
    expect(addressFingerprint({ lo: [lo], wlan0: [linkLocal] })).toBe('');
    expect(addressFingerprint({ wlan0: [wifi('192.168.1.5'), linkLocal], lo: [lo] })).toBe('wlan0/192.168.1.5');
  });

  it('reports going offline, coming back and switching networks', () => {
    let ifaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = { lo: [lo], wlan0: [wifi('192.168.1.5')] };
    const w = new NetworkWatcher({ interfaces: () => ifaces, intervalMs: 60_000 });
    const events: boolean[] = [];
    const off = w.onChange((online) => events.push(online));
    expect(w.check()).toBe(false);
    ifaces = { lo: [lo] };
    expect(w.check()).toBe(true);
    ifaces = { lo: [lo], wlan0: [wifi('10.0.0.7')] };
    w.check();
    ifaces = { lo: [lo], wlan0: [wifi('10.0.0.7')], tun0: [wifi('172.16.0.2')] };
    w.check();
    expect(events).toEqual([false, true, true]);
    expect(w.online).toBe(true);
    off();
  });

  it('survives a failing interface query', () => {
    let fail = false;
    const w = new NetworkWatcher({
      interfaces: () => {
        if (fail) throw new Error('EMFILE');
        return { lo: [lo], eth0: [wifi('10.1.1.1')] };
      },
    });
    fail = true;
    expect(w.check()).toBe(false);
    expect(w.online).toBe(true);
    w.stop();
  });
});

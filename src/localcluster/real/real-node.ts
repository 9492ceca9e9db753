import type { ApiKubelet } from '../kubelet/index.js';
import type { Netns } from '../netns/index.js';

/**
 * One node of the real-control-plane mode: crt's kubelet (which talks to the API through the loopback
 * forward) and the node's network namespace (where its pods live). Power off is the machine gone: every
 * process killed, the kubelet silent, and its cable as good as pulled (packets to it are dropped, not
 * refused). A lost link keeps the processes, silences the kubelet and drops every packet across it.
 */
export class RealNode {
  readonly name: string;

  constructor(readonly kubelet: ApiKubelet, readonly netns: Netns, readonly loopback: string) {
    this.name = kubelet.name;
  }

  get power(): { state: 'on' | 'off'; sinceMs: number } {
    return this.kubelet.power;
  }

  get link(): { state: 'up' | 'down'; sinceMs: number } {
    return this.kubelet.link;
  }

  pids(): number[] {
    return this.kubelet.pids();
  }

  async powerOff(): Promise<number[]> {
    if (this.kubelet.power.state === 'off') return [];
    await this.netns.setLink(false);
    return this.kubelet.powerOff();
  }

  async powerOn(): Promise<void> {
    if (this.kubelet.power.state === 'on') return;
    if (this.kubelet.link.state === 'up') await this.netns.setLink(true);
    this.kubelet.powerOn();
  }

  /** Resets nothing: a pulled cable drops packets, and connections across it hang until their timeouts. */
  async linkDown(): Promise<number> {
    if (this.kubelet.link.state === 'down') return 0;
    await this.netns.setLink(false);
    this.kubelet.linkDown();
    return 0;
  }

  async linkUp(): Promise<void> {
    if (this.kubelet.link.state === 'up') return;
    if (this.kubelet.power.state === 'on') await this.netns.setLink(true);
    this.kubelet.linkUp();
  }
}

import { assert } from '../core/assert.js';
import type { NodeId } from '../core/ids.js';
import type { Rng } from '../core/rng.js';
import type { LatencyDistribution, LinkOverride, NetworkConfig } from './config.js';

/** One draw from a latency distribution, in whole microseconds. */
export function sampleLatencyUs(distribution: LatencyDistribution, rng: Rng): number {
  switch (distribution.kind) {
    case 'fixed':
      return distribution.us;
    case 'uniform':
      return distribution.minUs === distribution.maxUs
        ? distribution.minUs
        : rng.int(distribution.minUs, distribution.maxUs);
    case 'exponential': {
      // Inverse transform; 1 - next() is in (0, 1], so the logarithm is finite.
      const draw = -Math.log(1 - rng.next()) * distribution.meanUs;
      return Math.min(distribution.maxUs, Math.round(draw));
    }
  }
}

/** The fault probabilities in force: the configured ones, or a storm's. */
interface Weather {
  lossProbability: number;
  duplicateProbability: number;
  reorderProbability: number;
}

/**
 * The network's fault model: per-link latency, loss, duplication, reordering, and which directed
 * links are cut. It decides each message's fate from the network's own random stream; the
 * simulator does the scheduling.
 */
export class Network {
  /** `cut[from * size + to]` is 1 while that directed link drops everything. */
  private readonly cut: Uint8Array;
  private cutLinks = 0;
  private readonly overrides: (LinkOverride | undefined)[];
  private weather: Weather;
  private readonly calm: Weather;

  constructor(
    private readonly config: NetworkConfig,
    private readonly size: number,
    private readonly rng: Rng,
  ) {
    this.cut = new Uint8Array(size * size);
    this.overrides = new Array<LinkOverride | undefined>(size * size).fill(undefined);
    for (const link of config.links) {
      assert(link.from < size && link.to < size, `link ${link.from}->${link.to} out of range`);
      this.overrides[link.from * size + link.to] = link;
    }
    this.calm = {
      lossProbability: config.lossProbability,
      duplicateProbability: config.duplicateProbability,
      reorderProbability: config.reorderProbability,
    };
    this.weather = this.calm;
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cutLinks > 0 && this.cut[from * this.size + to] === 1;
  }

  get hasCuts(): boolean {
    return this.cutLinks > 0;
  }

  /** The directed links currently cut, sorted, as [from, to] pairs. */
  cutList(): [NodeId, NodeId][] {
    const result: [NodeId, NodeId][] = [];
    for (let from = 0; from < this.size; from++)
      for (let to = 0; to < this.size; to++)
        if (this.cut[from * this.size + to] === 1) result.push([from, to]);
    return result;
  }

  cutLink(from: NodeId, to: NodeId): void {
    assert(from !== to, 'a node cannot be cut from itself');
    const index = from * this.size + to;
    if (this.cut[index] === 1) return;
    this.cut[index] = 1;
    this.cutLinks++;
  }

  heal(): void {
    this.cut.fill(0);
    this.cutLinks = 0;
  }

  startStorm(weather: Weather): void {
    this.weather = { ...weather };
  }

  endStorm(): void {
    this.weather = this.calm;
  }

  /** Whether a message sent now on this link is lost. Draws nothing when loss is off. */
  lost(from: NodeId, to: NodeId): boolean {
    const override = this.overrides[from * this.size + to];
    const probability =
      override?.lossProbability !== undefined && this.weather === this.calm
        ? override.lossProbability
        : this.weather.lossProbability;
    // rng.chance draws nothing at 0 either, but checks its argument first; this is the hot path.
    return probability > 0 && this.rng.chance(probability);
  }

  /**
   * The delay of one copy of a message on this link, reordering included. At least 1 µs: two nodes
   * answering each other at zero latency would otherwise run forever without time advancing.
   */
  delayUs(from: NodeId, to: NodeId): number {
    const override = this.overrides[from * this.size + to];
    let delayUs = Math.max(1, sampleLatencyUs(override?.latency ?? this.config.latency, this.rng));
    const reorder = this.weather.reorderProbability;
    if (reorder > 0 && this.rng.chance(reorder))
      delayUs += this.rng.int(0, this.config.reorderDelayUsMax);
    return delayUs;
  }

  /** Whether the network delivers a second copy of a message. */
  duplicated(): boolean {
    const duplicate = this.weather.duplicateProbability;
    return duplicate > 0 && this.rng.chance(duplicate);
  }
}

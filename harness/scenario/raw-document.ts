// The scenario file as the schema (spec/scenario.schema.json) describes it, after the schema and
// semantic stages have passed it: the keys as written, nothing defaulted. build-model.ts reads
// this shape; test/scenario-schema-types.test.ts fails when it and the schema disagree.

import type { Action } from '../provider/layout.js';
import type { CheckInfo, KillMoment, SimulatedFailureKind, SimulatorName } from './model.js';

export type RawMatcher = string | { regex: string };
export type RawText = string | null | { regex: string };
export type RawVersion = string | number;

export interface RawVolume {
  name?: string;
  size?: number;
  cname?: string;
  uuid?: string;
  params?: Record<string, string | number | boolean>;
}

export interface RawStubEntry {
  args?: RawMatcher[];
  stdout?: string;
  stderr?: string;
  exit?: number;
  times?: number | 'any';
}

export interface RawStream {
  equals?: string;
  contains?: string | string[];
  regex?: string;
  lines?: string[];
  empty?: boolean;
}

export interface RawStep {
  action?: Action;
  command?: string[];
  together?: RawStep[];
  name?: string;
  volume?: string;
  kill?: { call: number; when: KillMoment };
  with?: {
    new_size?: number;
    size?: number;
    metadata?: string;
    exclusive?: boolean;
    snapshot_name?: string;
    snapshot_size?: number;
    args?: string[];
    unset?: string[];
    env?: Record<string, string>;
    fail_backend?: boolean;
  };
  repeat?: number;
  timeout?: number | string;
  ganeti?: RawVersion[];
  expect?: {
    exit?: number | 'nonzero' | 'any';
    device?: RawText;
    uris?: Record<string, RawText>;
    accepted_by?: RawVersion[];
    rejected_by?: RawVersion[];
    lint?: 'clean' | 'no-errors';
    stdout?: RawStream;
    stderr?: RawStream;
    calls?: Record<string, string[][]>;
    processes_left?: 'none';
    simulated?: Record<string, unknown>;
  };
}

export interface RawFailure {
  when?: RawMatcher[];
  error: SimulatedFailureKind;
  times?: number | 'any';
}

export interface RawRbdSimulator {
  pools?: string[];
  images?: {
    spec: string;
    size?: number;
    meta?: Record<string, string>;
    mapped?: boolean;
    snapshots?: (string | { name: string; protected?: boolean })[];
    features?: string[];
  }[];
  kernel_module?: boolean;
  ceph_release?: 12 | 14 | 16 | 17 | 18;
  fail?: RawFailure[];
}

export interface RawLosetupSimulator {
  devices?: number;
  fail?: RawFailure[];
}

export type RawSimulate = SimulatorName[] | { rbd?: RawRbdSimulator | null; losetup?: RawLosetupSimulator | null };

export interface RawScenario {
  name: string;
  check?: CheckInfo;
  requires?: ('snapshot' | 'open' | 'close')[];
  skip?: string;
  volume?: RawVolume;
  volumes?: Record<string, RawVolume>;
  env?: Record<string, string>;
  stubs?: Record<string, RawStubEntry[]>;
  simulate?: RawSimulate;
  install_path?: string;
  devices?: (string | { path: string; symlink: string })[];
  scratch?: string[];
  ganeti?: RawVersion[];
  timeout?: number | string;
  steps: RawStep[];
}

export interface RawFile {
  provider?: string;
  defaults?: { ganeti?: RawVersion[]; timeout?: number | string; volume?: RawVolume; env?: Record<string, string> };
  scenarios: RawScenario[];
}

export type ComponentStatus = 'up' | 'down' | 'degraded';

export interface ComponentHealth {
  readonly name: string;
  readonly status: ComponentStatus;
  readonly detail?: string;
}

/** Each adapter that talks to something that can be down reports here. */
export interface HealthCheck {
  readonly name: string;
  check(): Promise<ComponentHealth>;
}

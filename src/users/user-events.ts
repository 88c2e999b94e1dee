import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** A user's row changed (roles, state, email, name, deletion): anything that remembers it must read it again. */
export interface UserChanged {
  userId: string;
  /** The transaction the change is part of, when there is one: it is final only once that commits. */
  manager?: EntityManager;
}

/**
 * How `users/` tells the features above it that a user changed, without depending on any of them:
 * they subscribe (the identity cache does), and UsersService announces every write that changes what
 * a request sees of the user (the password hash is never part of that).
 */
@Injectable()
export class UserEvents {
  private readonly listeners: Array<(event: UserChanged) => void> = [];

  onChanged(listener: (event: UserChanged) => void): void {
    this.listeners.push(listener);
  }

  changed(event: UserChanged): void {
    for (const listener of this.listeners) listener(event);
  }
}

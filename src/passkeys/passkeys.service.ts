import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { ApiException } from '../common/errors/api.exception.js';
import { isUniqueViolation } from '../common/database/pg-errors.js';
import { Passkey } from './entities/passkey.entity.js';

export type NewPasskey = Pick<
  Passkey,
  'userId' | 'credentialId' | 'publicKey' | 'counter' | 'transports' | 'deviceType' | 'backedUp' | 'name'
>;

const NOT_FOUND = 'No such passkey';

/** The `passkeys` table: every read and write of it goes through here. */
@Injectable()
export class PasskeysService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The user's passkeys, oldest first. */
  listFor(userId: string, manager: EntityManager = this.dataSource.manager): Promise<Passkey[]> {
    return manager.find(Passkey, { where: { userId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  findByCredentialId(credentialId: string): Promise<Passkey | null> {
    return this.dataSource.manager.findOneBy(Passkey, { credentialId });
  }

  /** 404 for a passkey of someone else, the same as for none at all. */
  async getOwned(userId: string, id: string, manager: EntityManager = this.dataSource.manager): Promise<Passkey> {
    const passkey = await manager.findOneBy(Passkey, { id, userId });
    if (!passkey) throw new ApiException('not_found', NOT_FOUND);
    return passkey;
  }

  /** 409 when the credential is registered already (to this account or another). */
  async add(manager: EntityManager, passkey: NewPasskey): Promise<Passkey> {
    try {
      return await manager.save(manager.create(Passkey, passkey));
    } catch (error) {
      if (isUniqueViolation(error)) throw new ApiException('passkey_exists', 'This passkey is registered already');
      throw error;
    }
  }

  async rename(manager: EntityManager, userId: string, id: string, name: string): Promise<Passkey> {
    const { affected } = await manager.update(Passkey, { id, userId }, { name });
    if (!affected) throw new ApiException('not_found', NOT_FOUND);
    return this.getOwned(userId, id, manager);
  }

  async remove(manager: EntityManager, userId: string, id: string): Promise<void> {
    const { affected } = await manager.delete(Passkey, { id, userId });
    if (!affected) throw new ApiException('not_found', NOT_FOUND);
  }

  /** Deletes every passkey of the user (an administrator clearing the account's second factors); how many. */
  async removeAll(manager: EntityManager, userId: string): Promise<number> {
    const { affected } = await manager.delete(Passkey, { userId });
    return affected ?? 0;
  }

  /**
   * Saves a sign-in's counter only if it moved forward (or the authenticator keeps none: 0 then and
   * now), in one statement, so two sign-ins racing with the same counter cannot both pass. False: the
   * counter went back or stood still, which a cloned authenticator would do.
   */
  async recordUse(manager: EntityManager, id: string, counter: number, backedUp: boolean): Promise<boolean> {
    const [, updated] = await manager.query<[unknown[], number]>(
      `UPDATE passkeys SET counter = $2, backed_up = $3, last_used_at = now()
       WHERE id = $1 AND ((counter = 0 AND $2 = 0) OR counter < $2)`,
      [id, counter, backedUp],
    );
    return updated === 1;
  }
}

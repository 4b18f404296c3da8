import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The compatibility level of one subject, or the global one where `subject` is NULL. */
@Entity({ name: 'compatibility_config' })
export class CompatibilityConfigEntity {
  @PrimaryGeneratedColumn('identity', { type: 'integer', generatedIdentity: 'ALWAYS' })
  id!: number;

  /** NULL is the global row; unique with NULLS NOT DISTINCT, so there is at most one. */
  @Column({ type: 'text', nullable: true })
  subject!: string | null;

  @Column({ type: 'text' })
  level!: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
